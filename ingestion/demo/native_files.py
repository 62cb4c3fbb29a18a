"""The demo's traffic, spend, stock and journeys as the exports they come from in real life.

- web and app sessions: rows of a GA4 report (date, platform, source/medium, sessions);
- marketplace sessions: the marketplaces' seller-report CSV;
- store footfall: the door counters' CSV (German locale, ``footfall_counter.yaml``);
- closed opportunities of B2B, sales reps and the call center: the pipeline-report CSV;
- ad spend: the ad platforms' CSV labelled with the marketing channel;
- stock levels: the end-of-day stock CSV; journeys: the CDP's JSON lines.

Each file goes through ``ingestion.connectors.files`` with the YAML mapping named in
``FILES``. GA4 reports sessions per platform, not per region, so web and app sessions
come back without a region. Journey customers carry the key of the system the journey
ended in (``customer_key`` namespaced like that system's orders), so journeys and
orders of one customer still meet.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import numpy as np
import pandas as pd

from ingestion.canonical import customer_key
from ingestion.connectors.files import MAPPINGS_DIR
from ingestion.demo.generator import DemoChunk
from ingestion.demo.reference import SOURCE_OF_TOUCHPOINT

DEMO_MAPPINGS = Path(__file__).with_name("mappings")
# Export file name → its YAML mapping.
FILES = {
    "marketplace_sessions.csv": DEMO_MAPPINGS / "marketplace_sessions.yaml",
    "footfall.csv": MAPPINGS_DIR / "footfall_counter.yaml",
    "opportunities.csv": DEMO_MAPPINGS / "opportunities.yaml",
    "ad_spend.csv": DEMO_MAPPINGS / "ad_spend_channels.yaml",
    "stock_levels.csv": DEMO_MAPPINGS / "stock_levels.yaml",
    "journeys.jsonl": DEMO_MAPPINGS / "journeys.yaml",
}
INSTANCE_OF_SYSTEM = dict(SOURCE_OF_TOUCHPOINT)
# GA4 platform of app sessions: iOS first, the rest Android.
IOS_SHARE = 0.6
GA4_SOURCE = ("google", "organic", "(organic)")


@dataclass
class NativeSideData:
    """GA4 report rows and the export files of one chunk (file name → bytes)."""

    ga4_rows: list[dict[str, str]]
    files: dict[str, bytes] = field(default_factory=dict)


def _csv(header: list[str], rows, delimiter: str = ",") -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _german_int(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def ga4_rows(traffic: pd.DataFrame) -> list[dict[str, str]]:
    """Web and app sessions as GA4 ``runReport`` rows (flattened, as ``report_rows`` gives)."""
    rows = []
    online = traffic[traffic["touchpoint_code"].isin(["web", "mobile_app"])]
    online = online[online["sessions"] > 0]
    source, medium, campaign = GA4_SOURCE
    for day, touchpoint, sessions in zip(
        online["day"], online["touchpoint_code"], online["sessions"].tolist(), strict=True
    ):
        date = day.strftime("%Y%m%d")
        if touchpoint == "web":
            split = [("web", sessions)]
        else:
            ios = int(sessions * IOS_SHARE)
            split = [("iOS", ios), ("Android", sessions - ios)]
        rows += [
            {
                "date": date,
                "platform": platform,
                "sessionSource": source,
                "sessionMedium": medium,
                "sessionCampaignName": campaign,
                "sessions": str(count),
                "ecommercePurchases": "0",
            }
            for platform, count in split
            if count
        ]
    return rows


def _traffic_files(traffic: pd.DataFrame) -> dict[str, bytes]:
    market = traffic[(traffic["touchpoint_code"] == "marketplace") & (traffic["sessions"] > 0)]
    stores = traffic[traffic["location_code"].notna() & (traffic["footfall"] > 0)]
    deals = traffic[traffic["opportunities"] > 0]
    return {
        "marketplace_sessions.csv": _csv(
            ["date", "storefront_region", "sessions"],
            zip(market["day"], market["region_code"], market["sessions"].tolist(), strict=True),
        ),
        "footfall.csv": _csv(
            ["Datum", "Filiale", "Eingang", "Besucher"],
            (
                (day.strftime("%d.%m.%Y"), store, "Haupteingang", _german_int(count))
                for day, store, count in zip(
                    stores["day"], stores["location_code"], stores["footfall"].tolist(), strict=True
                )
            ),
            delimiter=";",
        ),
        "opportunities.csv": _csv(
            ["date", "channel", "region", "system", "closed", "won"],
            zip(
                deals["day"],
                deals["touchpoint_code"],
                deals["region_code"],
                deals["source_system"],
                deals["opportunities"].tolist(),
                deals["opportunities_won"].tolist(),
                strict=True,
            ),
        ),
    }


def _spend_file(spend: pd.DataFrame) -> bytes:
    costs = [f"{m // 100}.{m % 100:02d}" for m in spend["spend_minor"].tolist()]
    return _csv(
        ["date", "platform", "campaign", "channel", "currency", "cost", "impressions", "clicks"],
        zip(
            spend["day"],
            spend["source_system"],
            spend["campaign"],
            spend["touchpoint_code"],
            spend["currency"],
            costs,
            spend["impressions"].tolist(),
            spend["clicks"].tolist(),
            strict=True,
        ),
    )


def _stock_file(inventory: pd.DataFrame) -> bytes:
    return _csv(
        ["date", "sku", "location", "on_hand", "on_order"],
        zip(
            inventory["day"],
            inventory["sku"],
            inventory["location_code"],
            inventory["on_hand"].tolist(),
            inventory["on_order"].tolist(),
            strict=True,
        ),
    )


def journey_customer_keys(touches: pd.DataFrame) -> list[str]:
    """Each touch's customer as the ordering system keys it (a journey ends in its order)."""
    ends = touches["source_order_id"].notna().to_numpy()
    journey = np.cumsum(ends) - ends
    systems = touches["source_system"].to_numpy()[ends][journey]
    return [
        customer_key(system, INSTANCE_OF_SYSTEM[system], raw)
        for system, raw in zip(systems.tolist(), touches["customer_key"].tolist(), strict=True)
    ]


def _journeys_file(touches: pd.DataFrame) -> bytes:
    if not len(touches):
        return b""
    stamps = np.datetime_as_string(
        touches["touched_at"]
        .astype("int64")
        .to_numpy()
        .astype("datetime64[ns]")
        .astype("datetime64[us]"),
        unit="us",
    )
    lines = [
        json.dumps(
            {
                "customer": customer,
                "at": f"{at}Z",
                "channel": channel,
                "device": device,
                "campaign": campaign,
                "order_id": order_id,
                "system": system,
            }
        )
        for customer, at, channel, device, campaign, order_id, system in zip(
            journey_customer_keys(touches),
            stamps.tolist(),
            touches["touchpoint_code"],
            touches["device"],
            touches["campaign"],
            touches["source_order_id"],
            touches["source_system"],
            strict=True,
        )
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


def native_side_data(chunk: DemoChunk) -> NativeSideData:
    """One chunk's traffic, spend, stock and journeys as GA4 rows and export files."""
    files = _traffic_files(chunk.traffic)
    files["ad_spend.csv"] = _spend_file(chunk.spend)
    files["stock_levels.csv"] = _stock_file(chunk.inventory)
    files["journeys.jsonl"] = _journeys_file(chunk.touches)
    return NativeSideData(ga4_rows(chunk.traffic), files)
