"""The fixed world the demo retailer lives in: regions, places, catalogue, touchpoints, rates.

Everything here is constant (independent of the seed), so reference rows never
change between demo runs and the loader can upsert them once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

# The demo retailer uses the default taxonomy (read from here by the demo targets and tests).
from db.taxonomy import CATEGORY_OF_TOUCHPOINT as CATEGORY_OF_TOUCHPOINT
from db.taxonomy import CHANNEL_CATEGORIES as CHANNEL_CATEGORIES

# Touchpoints in a fixed order: arrays in the generator are indexed by position.
TOUCHPOINTS = [
    "web",
    "mobile_app",
    "marketplace",
    "physical_store",
    "b2b_portal",
    "sales_rep",
    "call_center",
]
WEB, APP, MARKETPLACE, STORE, B2B, REP, CALL = range(len(TOUCHPOINTS))
ONLINE = (WEB, APP, MARKETPLACE)
OPPORTUNITY_BASED = (B2B, REP, CALL)
SHIPPED = (WEB, APP, MARKETPLACE, CALL)

# (source_system, source_instance) per touchpoint, as in the channel taxonomy.
SOURCE_OF_TOUCHPOINT = [
    ("shopify", "main-store"),
    ("shopify", "main-store"),
    ("shopify", "main-store"),
    ("square", "retail"),
    ("sap", "S4H-100"),
    ("salesforce", "crm"),
    ("salesforce", "crm"),
]
# Raw touchpoint fields ("field=value;field=value", fields sorted) and their shares.
RAW_TOUCHPOINTS = [
    [("source_name=web", 1.0)],
    [("source_name=iphone", 0.6), ("source_name=android", 0.36), ("source_name=mobile_app", 0.04)],
    [("source_name=amazon", 0.7), ("source_name=ebay", 0.3)],
    [("source_name=Point of Sale", 1.0)],
    [("DistributionChannel=10", 0.7), ("DistributionChannel=12", 0.3)],
    [
        ("LeadSource=Partner Referral;StageName=Closed Won", 0.5),
        ("LeadSource=Trade Show;StageName=Closed Won", 0.3),
        ("LeadSource=Web;StageName=Closed Won", 0.2),
    ],
    [("LeadSource=Phone Inquiry;StageName=Closed Won", 1.0)],
]
# A trickle of web orders from a sales app no channel rule knows: they stay Unassigned.
UNMAPPED_RAW = "source_name=tiktok"
UNMAPPED_SHARE = 0.004


@dataclass(frozen=True)
class RegionInfo:
    code: str
    name: str
    currency: str
    timezone: str
    holiday_country: str
    tax_rate: float
    price_factor: float  # local price level relative to the US list price
    warehouse: str


REGIONS = [
    RegionInfo("us", "United States", "USD", "America/New_York", "US", 0.07, 1.00, "wh-na"),
    RegionInfo("ca", "Canada", "CAD", "America/Toronto", "CA", 0.13, 1.04, "wh-na"),
    RegionInfo("uk", "United Kingdom", "GBP", "Europe/London", "GB", 0.20, 0.97, "wh-eu"),
    RegionInfo("de", "Germany", "EUR", "Europe/Berlin", "DE", 0.19, 1.00, "wh-eu"),
    RegionInfo("fr", "France", "EUR", "Europe/Paris", "FR", 0.20, 1.01, "wh-eu"),
]
REGION_CODES = [r.code for r in REGIONS]
FX_TO_USD = {"USD": 1.0, "CAD": 0.73, "GBP": 1.27, "EUR": 1.08}
REGION_FX = np.array([FX_TO_USD[r.currency] for r in REGIONS])
REGION_TAX = np.array([r.tax_rate for r in REGIONS])
REGION_PRICE_FACTOR = np.array([r.price_factor for r in REGIONS])

# Stores: (code, name, region, relative size).
STORES = [
    ("nyc-5th", "New York Fifth Avenue", "us", 2.2),
    ("nyc-bkn", "Brooklyn", "us", 1.1),
    ("bos-nwb", "Boston Newbury St", "us", 1.0),
    ("phl-ctr", "Philadelphia Center City", "us", 0.9),
    ("chi-mag", "Chicago Magnificent Mile", "us", 1.6),
    ("atl-pon", "Atlanta Ponce City", "us", 0.8),
    ("mia-bri", "Miami Brickell", "us", 0.9),
    ("dc-gtn", "Washington Georgetown", "us", 0.8),
    ("tor-yng", "Toronto Yonge St", "ca", 1.3),
    ("mtl-stc", "Montreal Ste-Catherine", "ca", 0.9),
    ("ott-rid", "Ottawa Rideau", "ca", 0.6),
    ("lon-oxf", "London Oxford Street", "uk", 2.0),
    ("lon-cov", "London Covent Garden", "uk", 1.2),
    ("man-arn", "Manchester Arndale", "uk", 0.8),
    ("edi-prn", "Edinburgh Princes St", "uk", 0.6),
    ("ber-kud", "Berlin Kurfürstendamm", "de", 1.3),
    ("muc-kau", "Munich Kaufingerstraße", "de", 1.0),
    ("ham-mon", "Hamburg Mönckebergstraße", "de", 0.7),
    ("par-riv", "Paris Rue de Rivoli", "fr", 1.4),
    ("lyo-rep", "Lyon Rue de la République", "fr", 0.7),
]
WAREHOUSES = [
    ("wh-na", "North America DC", "us"),
    ("wh-eu", "Europe DC", "de"),
]
STORE_CODES = [s[0] for s in STORES]
STORE_REGION = np.array([REGION_CODES.index(s[2]) for s in STORES])
STORE_SIZE = np.array([s[3] for s in STORES])
WAREHOUSE_CODES = [w[0] for w in WAREHOUSES]
# Index of the warehouse serving each region.
REGION_WAREHOUSE = np.array([WAREHOUSE_CODES.index(r.warehouse) for r in REGIONS])

# Categories: (code, price range in USD, cost ratio range, nouns).
CATEGORIES = [
    ("apparel", (15, 110), (0.35, 0.5), ["T-Shirt", "Hoodie", "Jacket", "Chinos", "Dress"]),
    ("footwear", (40, 160), (0.45, 0.6), ["Sneaker", "Boot", "Loafer", "Sandal", "Runner"]),
    ("accessories", (9, 70), (0.3, 0.45), ["Cap", "Belt", "Scarf", "Wallet", "Backpack"]),
    ("home", (10, 160), (0.4, 0.55), ["Throw", "Candle", "Mug Set", "Lamp", "Cushion"]),
    ("electronics", (20, 300), (0.6, 0.75), ["Earbuds", "Speaker", "Charger", "Watch", "Tablet"]),
    ("beauty", (7, 60), (0.25, 0.4), ["Serum", "Lip Balm", "Shampoo", "Cream", "Perfume"]),
    ("sports", (10, 180), (0.45, 0.6), ["Yoga Mat", "Bottle", "Racket", "Dumbbell", "Tent"]),
    ("grocery", (3, 25), (0.55, 0.7), ["Coffee", "Tea", "Granola", "Olive Oil", "Chocolate"]),
]
CATEGORY_CODES = [c[0] for c in CATEGORIES]
ADJECTIVES = ["Classic", "Urban", "Everyday"]
PRODUCTS_PER_CATEGORY = 15
CATALOGUE_SEED = 20_240_601


@dataclass(frozen=True)
class Catalogue:
    """The products as arrays (index = position in ``ReferenceData.products``)."""

    sku: np.ndarray
    category: np.ndarray  # category index
    list_price_minor: np.ndarray  # USD cents at the start of the period
    unit_cost_minor: np.ndarray  # USD cents
    popularity: np.ndarray  # relative demand weight, sums to 1


def catalogue() -> Catalogue:
    rng = np.random.default_rng(CATALOGUE_SEED)
    skus, cats, prices, costs = [], [], [], []
    for cat_index, (code, (low, high), (cost_low, cost_high), _) in enumerate(CATEGORIES):
        price = np.exp(rng.uniform(np.log(low), np.log(high), PRODUCTS_PER_CATEGORY))
        price_minor = np.ceil(price) * 100 - 1
        ratio = rng.uniform(cost_low, cost_high, PRODUCTS_PER_CATEGORY)
        skus += [f"{code[:3].upper()}-{i + 1:03d}" for i in range(PRODUCTS_PER_CATEGORY)]
        cats += [cat_index] * PRODUCTS_PER_CATEGORY
        prices.append(price_minor)
        costs.append(np.round(price_minor * ratio))
    rank = rng.permutation(len(skus)) + 1
    popularity = 1.0 / rank**0.8
    return Catalogue(
        sku=np.array(skus, dtype=object),
        category=np.array(cats),
        list_price_minor=np.concatenate(prices).astype(np.int64),
        unit_cost_minor=np.concatenate(costs).astype(np.int64),
        popularity=popularity / popularity.sum(),
    )


def product_names() -> list[str]:
    names = []
    for *_, nouns in CATEGORIES:
        for i in range(PRODUCTS_PER_CATEGORY):
            names.append(f"{ADJECTIVES[i // len(nouns)]} {nouns[i % len(nouns)]}")
    return names


@dataclass
class ReferenceData:
    regions: pd.DataFrame  # code, name, currency
    locations: pd.DataFrame  # code, name, kind (store | warehouse), region_code
    products: pd.DataFrame  # sku, name, category, list_price_minor, unit_cost_minor (USD cents)
    fx_rates: pd.DataFrame  # currency, rate (USD per unit of currency)


def reference_data() -> ReferenceData:
    cat = catalogue()
    regions = pd.DataFrame(
        {
            "code": REGION_CODES,
            "name": [r.name for r in REGIONS],
            "currency": [r.currency for r in REGIONS],
        }
    )
    places = [(code, name, "store", region) for code, name, region, _ in STORES]
    places += [(code, name, "warehouse", region) for code, name, region in WAREHOUSES]
    locations = pd.DataFrame(places, columns=["code", "name", "kind", "region_code"])
    products = pd.DataFrame(
        {
            "sku": cat.sku,
            "name": product_names(),
            "category": [CATEGORY_CODES[i] for i in cat.category],
            "list_price_minor": cat.list_price_minor,
            "unit_cost_minor": cat.unit_cost_minor,
        }
    )
    fx_rates = pd.DataFrame({"currency": list(FX_TO_USD), "rate": list(FX_TO_USD.values())})
    return ReferenceData(regions=regions, locations=locations, products=products, fx_rates=fx_rates)


def pseudonymous_key(synthetic_id: str) -> str:
    """Customer key: the first 32 hex characters of the id's sha256."""
    return hashlib.sha256(synthetic_id.encode()).hexdigest()[:32]
