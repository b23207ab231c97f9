"""The whole pipeline at scale xs through Dagster (`shelfcast run`'s code path): every asset materialised and
the marts filled; and after two runs killed with SIGKILL (mid-dbt, mid-forecast), the next run leaves every
table as the uninterrupted run made it: a rerun neither duplicates nor loses anything, killed or not."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.definitions import build_definitions
from shelfcast.warehouse import building_path, duckdb_path
from tests.orchestration.conftest import MARTS, Pipeline, RerunAfterKills, differing_rows, warehouse_hashes

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_every_asset_is_materialised_and_the_marts_are_filled(pipeline: Pipeline) -> None:
    settings, first = pipeline.settings, pipeline.first
    assert first.success, first.failed
    expected = {key.to_user_string() for asset in build_definitions(settings).assets for key in asset.keys}
    assert expected - set(first.materialized) == set()
    assert {"pos/pos_lines", "ingestion/batches", "ml/ml_sales_forecast", "fct_sales_forecast"} <= expected
    assert [s.step for s in first.steps if s.status != "success"] == []
    con = duckdb.connect(str(duckdb_path(settings)), read_only=True)
    for mart in MARTS:
        assert con.execute(f"select count(*) from {mart}").fetchone()[0] > 0, mart
    con.close()


@pytest.mark.extended
# Selected alone (-m extended) its setup also makes the first run: four pipeline runs in all, past the
# suite's 30 minutes per test on 2 cores.
@pytest.mark.timeout(3600)
def test_a_rerun_after_killed_runs_changes_no_tables_content(
    pipeline: Pipeline, rerun_after_kills: RerunAfterKills
) -> None:
    assert rerun_after_kills.building_left_by_the_dbt_kill, "the first kill did not land inside the dbt step"
    assert rerun_after_kills.rerun.success, rerun_after_kills.rerun.failed
    warehouse = duckdb_path(pipeline.settings)
    assert not building_path(pipeline.settings).exists()
    after, before = warehouse_hashes(warehouse), rerun_after_kills.first_hashes
    assert after.keys() == before.keys()
    assert after == before, differing_rows(rerun_after_kills.first_warehouse, warehouse, after, before)
