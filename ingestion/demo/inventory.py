"""Stock levels of the top SKUs in every store and warehouse over the last days of the data.

A simple periodic-review policy per SKU × location: stock depletes with that
location's sales (stores: their own sales; warehouses: the online, B2B and direct
sales of the regions they serve) and is replenished after a lead time. Some
pairs are under-stocked (stock-outs) and some over-stocked. Sales are not capped
by stock: a stock-out shows as on_hand 0 while orders continue.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from ingestion.demo.reference import STORE_CODES
from ingestion.demo.reference import WAREHOUSE_CODES
from ingestion.demo.reference import Catalogue

TRACKED_SKUS = 40
INVENTORY_DAYS = 120
WARMUP_DAYS = 60
COVER_DAYS = (14, 35)  # stores, warehouses
LEAD_DAYS = ((2, 6), (7, 22))
POLICY = ([0.45, 1.0, 3.0], [0.12, 0.73, 0.15])  # under-stocked, normal, over-stocked
DELAY_SHARE, DELAY_DAYS = 0.1, (3, 15)
SMOOTHING = 0.1


class StockTracker:
    def __init__(self, cat: Catalogue, seed: int, end: dt.date) -> None:
        self.first_row_day = end - dt.timedelta(days=INVENTORY_DAYS - 1)
        self.first_day = self.first_row_day - dt.timedelta(days=WARMUP_DAYS)
        self.skus = np.argsort(-cat.popularity, kind="stable")[:TRACKED_SKUS]
        self.row_of_sku = np.full(len(cat.sku), -1)
        self.row_of_sku[self.skus] = np.arange(TRACKED_SKUS)
        self.sku_codes = cat.sku[self.skus]
        self.location_codes = np.array(STORE_CODES + WAREHOUSE_CODES, dtype=object)
        shape = (TRACKED_SKUS, len(self.location_codes))
        is_store = np.arange(shape[1]) < len(STORE_CODES)
        rng = np.random.default_rng([seed, 4])
        self.multiplier = rng.choice(POLICY[0], size=shape, p=POLICY[1])
        store_lead = rng.integers(*LEAD_DAYS[0], size=shape)
        warehouse_lead = rng.integers(*LEAD_DAYS[1], size=shape)
        self.lead = np.where(is_store[None, :], store_lead, warehouse_lead)
        self.cover = np.where(is_store, COVER_DAYS[0], COVER_DAYS[1])[None, :]
        self.on_hand = np.zeros(shape, dtype=np.int64)
        self.on_order = np.zeros(shape, dtype=np.int64)
        self.arrival = np.zeros(shape, dtype=np.int64)
        self.demand = np.zeros(shape)
        self.started = False

    def step(
        self,
        day: dt.date,
        rng: np.random.Generator,
        sku: np.ndarray,
        location: np.ndarray,
        qty: np.ndarray,
    ) -> dict[str, np.ndarray] | None:
        """Book one day's sales; returns that day's stock rows inside the reported window."""
        if day < self.first_day:
            return None
        row = self.row_of_sku[sku]
        tracked = row >= 0
        sales = np.zeros(self.on_hand.shape, dtype=np.int64)
        np.add.at(sales, (row[tracked], location[tracked]), qty[tracked])
        today = day.toordinal()
        if not self.started:
            self.demand = sales + 0.5
            self.on_hand = np.ceil(self.demand * self.cover * self.multiplier).astype(np.int64)
            self.started = True
        arrived = (self.on_order > 0) & (self.arrival <= today)
        self.on_hand += np.where(arrived, self.on_order, 0)
        self.on_order[arrived] = 0
        self.on_hand = np.maximum(self.on_hand - sales, 0)
        self.demand = (1 - SMOOTHING) * self.demand + SMOOTHING * sales

        delayed = rng.random(self.on_hand.shape) < DELAY_SHARE
        delay = rng.integers(*DELAY_DAYS, size=self.on_hand.shape)
        reorder_point = self.demand * self.lead * 1.2
        target = self.demand * self.cover * self.multiplier + reorder_point
        order = (self.on_order == 0) & (self.on_hand <= reorder_point)
        quantity = np.ceil(target - self.on_hand).astype(np.int64)
        order &= quantity > 0
        self.on_order[order] = quantity[order]
        self.arrival[order] = today + self.lead[order] + np.where(delayed, delay, 0)[order]

        if day < self.first_row_day:
            return None
        n_sku, n_loc = self.on_hand.shape
        return {
            "day": np.full(n_sku * n_loc, day, dtype=object),
            "sku": np.repeat(self.sku_codes, n_loc),
            "location_code": np.tile(self.location_codes, n_sku),
            "on_hand": self.on_hand.ravel().copy(),
            "on_order": self.on_order.ravel().copy(),
        }
