"""The PostgreSQL engine's session settings."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from db.engine import get_engine

pytestmark = pytest.mark.postgres


def test_app_connections_run_without_jit_compilation(pg_url):
    """JIT compiling costs more than a dashboard query over the rollups takes to run."""
    with get_engine(pg_url).connect() as conn:
        assert conn.execute(text("SHOW jit")).scalar_one() == "off"
