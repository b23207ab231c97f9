"""The whole pipeline at scale xs through Dagster (`shelfcast run`'s code path): every asset materialised,
the marts filled, and a second run changes no table's content."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.definitions import build_definitions
from shelfcast.warehouse import duckdb_path
from tests.orchestration.conftest import MARTS, warehouse_hashes

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_every_asset_is_materialised_and_the_marts_are_filled(pipeline) -> None:
    settings, first, _, _ = pipeline
    assert first.success, first.failed
    expected = {key.to_user_string() for asset in build_definitions(settings).assets for key in asset.keys}
    assert expected - set(first.materialized) == set()
    assert {"pos/pos_lines", "ingestion/batches", "ml/ml_sales_forecast", "fct_sales_forecast"} <= expected
    assert [s.step for s in first.steps if s.status != "success"] == []
    con = duckdb.connect(str(duckdb_path(settings)), read_only=True)
    for mart in MARTS:
        assert con.execute(f"select count(*) from {mart}").fetchone()[0] > 0, mart
    con.close()


def test_a_second_run_changes_no_tables_content(pipeline) -> None:
    settings, _, second, before = pipeline
    assert second.success, second.failed
    after = warehouse_hashes(duckdb_path(settings))
    assert after.keys() == before.keys()
    changed = {table: (before[table], after[table]) for table in before if before[table] != after[table]}
    assert changed == {}
