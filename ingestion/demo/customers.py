"""Pseudonymous customers: a growing consumer pool per region and a fixed pool of B2B accounts.

Only counters are kept (customers created so far per region), so memory does not
grow with the number of orders; a customer's key is the hash of its synthetic id.
"""

from __future__ import annotations

import numpy as np

from ingestion.demo.reference import B2B
from ingestion.demo.reference import REGIONS
from ingestion.demo.reference import REP
from ingestion.demo.reference import STORE
from ingestion.demo.reference import pseudonymous_key

RETURNING_SHARE = 0.4  # of consumer orders, once a region has customers
ANONYMOUS_STORE_SHARE = 0.3  # store sales without a loyalty card
ACCOUNTS_PER_REGION = 300


class CustomerPool:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.known = np.zeros(len(REGIONS), dtype=np.int64)
        weights = 1.0 / np.arange(1, ACCOUNTS_PER_REGION + 1) ** 0.9
        self.account_weights = weights / weights.sum()

    def keys(self, rng: np.random.Generator, tp: np.ndarray, region: np.ndarray) -> np.ndarray:
        """Customer key per order (None for anonymous store sales); registers new customers."""
        n = len(tp)
        anonymous_draw, returning_draw, pick = rng.random(n), rng.random(n), rng.random(n)
        account = np.isin(tp, [B2B, REP])
        anonymous = (tp == STORE) & (anonymous_draw < ANONYMOUS_STORE_SHARE)
        consumer = ~account & ~anonymous
        known = self.known[region]
        returning = consumer & (returning_draw < RETURNING_SHARE) & (known > 0)
        index = np.floor(pick * known).astype(np.int64)
        new = consumer & ~returning
        for r in range(len(REGIONS)):
            mine = new & (region == r)
            count = int(mine.sum())
            index[mine] = self.known[r] + np.arange(count)
            self.known[r] += count
        accounts = rng.choice(ACCOUNTS_PER_REGION, size=n, p=self.account_weights)
        index[account] = accounts[account]
        kind = np.where(account, "a", "c")
        keys = np.full(n, None, dtype=object)
        for i in np.flatnonzero(~anonymous):
            keys[i] = pseudonymous_key(f"{self.seed}:{kind[i]}:{region[i]}:{index[i]}")
        return keys
