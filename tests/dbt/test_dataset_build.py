"""`shelfcast transform --dataset` (issue 9): a landed dataset builds the same staged, intermediate and mart
models into its own schema of the DuckDB warehouse, beside the shop's, with its figures reconciled to what
was landed; a weekly dataset steps by week and forecasts its measure; a dataset not landed, landed from
another version of its mapping, or named like a schema the warehouse uses is refused."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from pyspark.sql import SparkSession

from ingestion.mapping.landed import dbt_vars
from ingestion.mapping.load import load_mapping
from shelfcast.dbt import build_dataset
from shelfcast.errors import ShelfcastError
from shelfcast.warehouse import duckdb_path
from tests.ingestion.test_dataset_landing import LINES, MAPPING, land

pytestmark = pytest.mark.spark


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def build(settings, mapping: Path) -> None:
    build_dataset(settings, dbt_vars(settings, load_mapping(mapping, {})))


@pytest.fixture
def lines(tmp_path: Path) -> Path:
    (tmp_path / "lines.csv").write_text(LINES, encoding="utf-8")
    (tmp_path / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    return tmp_path / "mapping.yml"


def test_a_landed_dataset_builds_its_own_schema_beside_the_shop(
    spark: SparkSession, lines: Path, tmp_path: Path
) -> None:
    settings, _ = land(spark, tmp_path / "data", lines)
    warehouse = duckdb_path(settings)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse)) as con:  # the shop's marts, which the dataset must leave alone
        con.execute("create table main.fct_daily_sales as select 42 as shop_row")
    build(settings, lines)

    schemas = {
        row[0] for row in query(warehouse, "select distinct table_schema from information_schema.tables")
    }
    assert schemas == {"main", "tiny_lines"}
    assert query(warehouse, "select * from main.fct_daily_sales") == [(42,)]
    # Clean rows 1, 2, 3, 4 and 8 of LINES; row 4 says its store was closed that day, so it sold nothing:
    # lines 1, 2, 3, 8. The return (2, marked RETURN) and the negative sale (8) count negative.
    lines_landed = query(
        warehouse,
        "select order_line_id, store_code, product_code, quantity, revenue, is_return "
        "from tiny_lines.fct_order_lines order by order_line_id",
    )
    assert [(r[0], r[3], float(r[4]), r[5]) for r in lines_landed] == [
        ("o1-1", 2, 10.5, False),
        ("o2-1", -1, -5.25, True),
        ("o3-1", 3, 7.0, False),
        ("o8-1", -4, -8.0, False),
    ]
    assert {r[1] for r in lines_landed} == {"001", "002"}  # codes keep their leading zeros
    assert query(
        warehouse, "select sum(revenue), sum(units), sum(orders) from tiny_lines.mart_kpi_daily"
    ) == [(pytest.approx(4.25), 0, pytest.approx(4.0))]
    assert query(warehouse, "select count(*) from tiny_lines.fct_orders") == [(4,)]
    assert query(warehouse, "select store_code from tiny_lines.dim_store order by 1") == [("001",), ("002",)]
    # one feature row per series and day from its first sale, the closed day of store 001 left out
    features = query(
        warehouse,
        "select store_code, product_code, cast(date_day as varchar), units, demand "
        "from tiny_lines.int_sales__features order by 1, 2, 3",
    )
    assert features == [
        ("001", "A1", "2024-03-01", 1, 1.0),
        ("001", "A1", "2024-03-03", 0, 0.0),
        ("001", "B2", "2024-03-01", 3, 3.0),
        ("001", "B2", "2024-03-03", 0, 0.0),
        ("002", "B2", "2024-03-03", -4, -4.0),
    ]
    # the data quality marts read the dataset's own audit: every batch, the undated one included
    assert query(
        warehouse,
        "select sum(rows_in), sum(rows_clean), sum(rows_quarantined) from tiny_lines.mart_data_quality",
    ) == [(8, 5, 3)]
    assert query(warehouse, "select sum(rows_quarantined) from tiny_lines.mart_quarantine_by_reason") == [
        (3,)
    ]

    lines.write_text(MAPPING.replace("missing_days: zero", "missing_days: closed"), encoding="utf-8")
    with pytest.raises(ShelfcastError, match="changed since dataset 'tiny_lines' was landed"):
        build(settings, lines)


WEEKS = """\
week;store;dept;sales
2024-03-01;1;7;100.50
2024-03-08;1;7;-20.25
2024-03-22;1;7;50.00
2024-03-08;2;7;10.00
"""
WEEKLY = """\
name: tiny_weeks
source: {files: weeks.csv}
read: {delimiter: ";"}
grain: weekly
week: {anchor: friday, label: end}
columns: {date: week, store: store, product: dept, revenue: sales}
missing_days: zero
regressors:
  columns: [Fuel Price, {column: Holiday, type: boolean, role: holiday}]
  features: {files: features.csv, keys: {date: day, store: store}, read: {decimal: ","}}
"""
WEEK_FEATURES = """\
day;store;Fuel Price;Holiday
2024-03-01;1;3,10;no
2024-03-08;1;3,20;yes
2024-03-15;1;3,30;no
2024-03-22;1;3,40;no
"""


def test_a_weekly_dataset_steps_by_week_and_forecasts_its_revenue(
    spark: SparkSession, tmp_path: Path
) -> None:
    (tmp_path / "weeks.csv").write_text(WEEKS, encoding="utf-8")
    (tmp_path / "features.csv").write_text(WEEK_FEATURES, encoding="utf-8")
    mapping = tmp_path / "weekly.yml"
    mapping.write_text(WEEKLY, encoding="utf-8")
    settings, _ = land(spark, tmp_path / "data", mapping)
    build(settings, mapping)

    features = query(
        duckdb_path(settings),
        "select store_code, cast(date_day as varchar), units, demand, is_holiday, units_lag_7 "
        "from tiny_weeks.int_sales__features order by 1, 2",
    )
    # every 7th day from a series' first week to the data's last, a week without a row a zero; no units: the
    # forecast is of revenue (returns netted: -20.25 counts as is); the holiday flag from the regressor
    assert features == [
        ("1", "2024-03-01", None, pytest.approx(100.5), False, None),
        ("1", "2024-03-08", None, pytest.approx(-20.25), True, None),
        ("1", "2024-03-15", None, 0.0, False, None),
        ("1", "2024-03-22", None, pytest.approx(50.0), False, None),
        ("2", "2024-03-08", None, pytest.approx(10.0), True, None),
        ("2", "2024-03-15", None, 0.0, False, None),
        ("2", "2024-03-22", None, 0.0, False, None),
    ]
    # a daily or weekly grain records periods, not orders
    assert query(duckdb_path(settings), "select count(*) from tiny_weeks.fct_orders") == [(0,)]
    assert query(duckdb_path(settings), "select count(*) from tiny_weeks.fct_order_lines") == [(4,)]


def test_a_dataset_not_landed_or_named_like_a_warehouse_schema_is_refused(
    lines: Path, tmp_path: Path
) -> None:
    from tests.support import lake_settings

    settings = lake_settings(tmp_path / "data", Path("unused"))
    with pytest.raises(ShelfcastError, match="dataset 'tiny_lines' is not in the lake"):
        build(settings, lines)
    lines.write_text(MAPPING.replace("name: tiny_lines", "name: sales_ml"), encoding="utf-8")
    with pytest.raises(ShelfcastError, match="would build into a schema the warehouse uses"):
        build(settings, lines)
    assert not duckdb_path(settings).exists()


def test_the_cli_builds_a_landed_dataset(spark: SparkSession, lines: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from shelfcast.cli import app

    settings, _ = land(spark, tmp_path / "data", lines)
    result = CliRunner().invoke(
        app, ["transform", "--dataset", str(lines)], env={"SHELFCAST_DATA_DIR": str(settings.data_dir)}
    )
    assert result.exit_code == 0, result.output
    assert "dbt build of dataset tiny_lines" in result.output
    assert query(duckdb_path(settings), "select count(*) from tiny_lines.fct_order_lines") == [(4,)]
