"""A file load reports the records it has read as it goes, for the CLI's progress bar."""

from __future__ import annotations

import pytest

from ingestion.file_sync import PROGRESS_EVERY
from ingestion.file_sync import ingest_file
from tests.files.test_bad_input import HEADER
from tests.files.test_bad_input import ORDERS_MAPPING

pytestmark = pytest.mark.postgres


def test_a_load_reports_what_it_read_every_few_thousand_records(pg_url, tmp_path):
    rows = [f"P{i},2024-03-01,web,S1,c{i},10.00,USD,1" for i in range(2 * PROGRESS_EVERY + 7)]
    rows[3] = "P3,2024-03-01,web,S1,c3,ten,USD,1"  # a reject counts as read too
    export = tmp_path / "orders.csv"
    export.write_text(HEADER + "\n".join(rows) + "\n")
    mapping = tmp_path / "om.yml"
    mapping.write_text(ORDERS_MAPPING)
    heard: list[int] = []
    result = ingest_file(export, mapping, on_rows=heard.append)
    assert heard == [PROGRESS_EVERY, PROGRESS_EVERY, 7]
    assert (result.inserted, result.rejected) == (len(rows) - 1, 1)
