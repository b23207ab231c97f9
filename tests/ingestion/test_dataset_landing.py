"""`shelfcast ingest --dataset` (issue 9): a mapped dataset lands in `<lake>/datasets/<name>` with every
source row either clean or quarantined with its reason, per-date audits that reconcile, typed contract
columns (codes keep leading zeros, returns count negative), and reruns that change nothing; a mapping the
check refuses lands nothing; both shipped mappings land the shared data sets with their row counts, build
and forecast them end to end."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from ingestion.lake import Lake, Zone
from ingestion.mapping.land import DATASET_TABLE, SALES_TABLE, dataset_lake, land_dataset
from ingestion.mapping.load import load_mapping
from shelfcast.errors import ShelfcastError
from tests.ingestion.lakehash import table_hash
from tests.support import lake_settings

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "ingestion" / "mapping" / "examples"
SHARED_DATA = Path(os.environ.get("RETAIL_DATA") or ROOT.parent / "shared" / "data")

LINES = """\
day;store;sku;order;line;qty;amount;kind;open
01.03.2024;001;A1;o1;1;2;10,50;SALE;yes
01.03.2024;001;A1;o2;1;1;5,25;RETURN;yes
01.03.2024;001;B2;o3;1;3;7,00;SALE;yes
02.03.2024;001;A1;o4;1;;;SALE;no
02.03.2024;;A1;o5;1;1;5,25;SALE;yes
03.03.2024;002;A1;o6;1;;;SALE;yes
;002;B2;o7;1;1;2,00;SALE;yes
03.03.2024;002;B2;o8;1;-4;-8,00;SALE;yes
"""
MAPPING = """\
name: tiny_lines
source: {files: lines.csv}
read: {delimiter: ";", decimal: ",", date_format: "%d.%m.%Y"}
grain: order_line
columns:
  date: day
  store: store
  product: sku
  order_id: order
  order_line: line
  quantity: qty
  revenue: amount
  is_open: open
missing_days: zero
returns: {column: kind, values: [RETURN]}
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    (tmp_path / "lines.csv").write_text(LINES, encoding="utf-8")
    (tmp_path / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    return tmp_path / "mapping.yml"


def land(spark: SparkSession, data_dir: Path, mapping: Path, environ: dict[str, str] | None = None):
    settings = lake_settings(data_dir, Path("unused"))
    landing = land_dataset(lambda: spark, settings, load_mapping(mapping, environ or {}), print)
    return settings, landing


def rows_of(spark: SparkSession, lake: Lake, zone: Zone, table: str) -> list[dict[str, object]]:
    return [row.asDict() for row in lake.read(spark, zone, table).collect()]


def test_every_row_is_clean_or_quarantined_and_the_audit_reconciles(
    spark: SparkSession, tiny: Path, tmp_path: Path
) -> None:
    settings, landing = land(spark, tmp_path / "data", tiny)
    lake = dataset_lake(settings, "tiny_lines")
    assert lake.root.endswith("/datasets/tiny_lines")
    raw = rows_of(spark, lake, Zone.raw, SALES_TABLE)
    assert len(raw) == 8 and sorted(r["source_line"] for r in raw) == list(range(2, 10))
    # as received: the text of every field, the decimal comma and the day-first date included
    second = next(r for r in raw if r["source_line"] == 3)
    assert json.loads(second["record"])["amount"] == "5,25"
    assert json.loads(second["record"])["day"] == "01.03.2024"

    clean = {r["source_line"]: r for r in rows_of(spark, lake, Zone.clean, SALES_TABLE)}
    quarantine = {r["source_line"]: r for r in rows_of(spark, lake, Zone.quarantine, "rows")}
    assert set(clean) | set(quarantine) == set(range(2, 10)) and not set(clean) & set(quarantine)
    assert {line: q["reason"] for line, q in quarantine.items()} == {
        6: "missing_required",  # no store
        7: "missing_required",  # open, no quantity or amount
        8: "missing_required",  # no date
    }
    assert quarantine[6]["reason_detail"] == "empty: store"
    assert quarantine[7]["reason_detail"] == "empty: qty and amount"
    assert json.loads(quarantine[8]["record"])["order"] == "o7"
    # codes as text with their zeros; the return line counts negative, the closed day carries no figures
    assert clean[2]["store_code"] == "001" and clean[2]["revenue"] == 10.5
    assert (clean[3]["is_return"], clean[3]["net_quantity"], clean[3]["net_revenue"]) == (True, -1.0, -5.25)
    assert clean[5]["is_open"] is False and clean[5]["quantity"] is None
    assert clean[9]["net_quantity"] == -4.0  # negative_quantities: return (the default) keeps it

    audit = rows_of(spark, lake, Zone.audit, "batches")
    assert all(row["reconciled"] for row in audit)
    assert sum(r["rows_in"] for r in audit) == 8
    assert sum(r["rows_clean"] for r in audit) == 5 and sum(r["rows_quarantined"] for r in audit) == 3
    assert landing.publication.totals()["rows_quarantined"] == 3
    (dataset,) = rows_of(spark, lake, Zone.clean, DATASET_TABLE)
    assert (dataset["grain"], dataset["period_days"], dataset["measure"]) == ("order_line", 1, "quantity")
    assert (dataset["rows_in"], str(dataset["first_date"]), str(dataset["last_date"])) == (
        8,
        "2024-03-01",
        "2024-03-03",
    )


def test_a_rerun_changes_nothing_and_a_new_export_replaces_the_old(
    spark: SparkSession, tiny: Path, tmp_path: Path
) -> None:
    # as dbt-spark leaves a shared session: a landing must replace the whole table regardless
    previous = spark.conf.get("spark.sql.sources.partitionOverwriteMode")
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    try:
        _rerun_and_replace(spark, tiny, tmp_path)
    finally:
        spark.conf.set("spark.sql.sources.partitionOverwriteMode", previous)


def _rerun_and_replace(spark: SparkSession, tiny: Path, tmp_path: Path) -> None:
    settings, _ = land(spark, tmp_path / "data", tiny)
    lake = dataset_lake(settings, "tiny_lines")
    tables = [
        (Zone.raw, SALES_TABLE),
        (Zone.clean, SALES_TABLE),
        (Zone.quarantine, "rows"),
        (Zone.audit, "batches"),
    ]
    first = {table: table_hash(spark, lake, *table) for table in tables}
    land(spark, tmp_path / "data", tiny)
    assert {table: table_hash(spark, lake, *table) for table in tables} == first
    # the retailer exports again with the bad rows fixed: the landing is the new export, nothing stays
    fixed = LINES.replace("02.03.2024;;A1", "02.03.2024;002;A1").replace(";002;B2;o7", "03.03.2024;002;B2;o7")
    (tiny.parent / "lines.csv").write_text(fixed, encoding="utf-8")
    land(spark, tmp_path / "data", tiny)
    assert lake.read(spark, Zone.raw, SALES_TABLE).count() == 8
    assert lake.read(spark, Zone.clean, SALES_TABLE).count() == 7
    assert [r["reason_detail"] for r in rows_of(spark, lake, Zone.quarantine, "rows")] == [
        "empty: qty and amount"
    ]


def test_a_refused_mapping_lands_nothing_and_keeps_the_last_landing(
    spark: SparkSession, tiny: Path, tmp_path: Path
) -> None:
    settings, _ = land(spark, tmp_path / "data", tiny)
    lake = dataset_lake(settings, "tiny_lines")
    before = table_hash(spark, lake, Zone.clean, SALES_TABLE)
    version = _delta_version(spark, lake)
    (tiny.parent / "lines.csv").write_text(LINES.replace("10,50", "ten"), encoding="utf-8")
    with pytest.raises(ShelfcastError, match=r"lines.csv line 2: column 'amount'.*'ten' is not a number"):
        land(spark, tmp_path / "data", tiny)
    assert table_hash(spark, lake, Zone.clean, SALES_TABLE) == before
    assert _delta_version(spark, lake) == version
    # nothing at all for a dataset refused on its first landing
    other = tiny.parent / "other.yml"
    other.write_text(MAPPING.replace("tiny_lines", "tiny_other").replace("qty", "quantity"), encoding="utf-8")
    with pytest.raises(ShelfcastError, match="has no column 'quantity'"):
        land(spark, tmp_path / "data", other)
    assert not Path(dataset_lake(settings, "tiny_other").root).exists()


FEATURES = """\
day;store;Fuel Price;Holiday
01.03.2024;001;3,10;no
02.03.2024;001;3,20;yes
03.03.2024;001;3,30;no
01.03.2024;002;2,90;no
;002;2,95;no
"""
STORES = "store;Type;Size\n001;A;1000\n002;B;800\n"
LINKED = """\
regressors:
  columns: [Fuel Price, {column: Holiday, type: boolean, role: holiday}]
  features: {files: features.csv, keys: {date: day, store: store}}
attributes:
  - {files: stores.csv, keys: {store: store}, columns: [Type, Size]}
"""


def test_regressors_and_attributes_land_beside_the_sales(
    spark: SparkSession, tiny: Path, tmp_path: Path
) -> None:
    (tiny.parent / "features.csv").write_text(FEATURES, encoding="utf-8")
    (tiny.parent / "stores.csv").write_text(STORES, encoding="utf-8")
    tiny.write_text(MAPPING + LINKED, encoding="utf-8")
    settings, landing = land(spark, tmp_path / "data", tiny)
    lake = dataset_lake(settings, "tiny_lines")
    regressors = {r["source_line"]: r for r in rows_of(spark, lake, Zone.clean, "regressors")}
    assert set(regressors) == {2, 3, 4, 5}
    # Delta-safe snake-case names; values typed as declared, the decimal comma read
    assert (regressors[3]["store_code"], str(regressors[3]["sold_on"])) == ("001", "2024-03-02")
    assert (regressors[3]["fuel_price"], regressors[3]["holiday"]) == (3.2, True)
    (refused,) = [
        r for r in rows_of(spark, lake, Zone.quarantine, "rows") if r["dataset"] == "tiny_lines.regressors"
    ]
    assert (refused["reason"], refused["reason_detail"], refused["source_line"]) == (
        "missing_required",
        "empty: day",
        6,
    )
    attributes = {r["store_code"]: r for r in rows_of(spark, lake, Zone.clean, "attributes_0")}
    assert attributes["002"]["type"] == "B" and attributes["002"]["size"] == "800"
    audit = rows_of(spark, lake, Zone.audit, "batches")
    per_table: dict[str, int] = {}
    for row in audit:
        per_table[str(row["dataset"])] = per_table.get(str(row["dataset"]), 0) + int(row["rows_in"])
    assert per_table == {"tiny_lines.sales": 8, "tiny_lines.regressors": 5, "tiny_lines.attributes_0": 2}
    assert all(row["reconciled"] for row in audit)
    (dataset,) = rows_of(spark, lake, Zone.clean, DATASET_TABLE)
    tables = json.loads(str(dataset["tables"]))
    assert tables["regressors"]["columns"]["fuel_price"] == "Fuel Price"
    assert tables["attributes_0"]["keys"] == ["store_code"]
    assert landing.publication.totals()["rows_in"] == 15


def _delta_version(spark: SparkSession, lake: Lake) -> int:
    from delta.tables import DeltaTable

    history = DeltaTable.forPath(spark, lake.path(Zone.clean, SALES_TABLE)).history(1)
    return int(history.select("version").first()[0])


needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "walmart_recruiting" / "train.csv").is_file(),
    reason=f"the shared retail data sets are not in {SHARED_DATA} (set RETAIL_DATA to their folder)",
)


@needs_shared_data
@pytest.mark.slow
@pytest.mark.parametrize(
    ("example", "source", "rows"),
    [
        ("walmart_recruiting", "walmart_recruiting/train.csv", 421_570),
        ("superstore", "superstore/orders.csv", 10_194),
    ],
)
def test_the_shipped_mappings_run_end_to_end_on_the_shared_data(
    spark: SparkSession, tmp_path: Path, example: str, source: str, rows: int
) -> None:
    """Land every row, build the dbt layers, forecast, and rebuild the forecast marts; each step's figures
    reconciled to the source file."""
    from decimal import Decimal

    import pandas as pd

    with (SHARED_DATA / source).open("rb") as handle:
        lines = sum(1 for _ in handle) - 1  # the header
    assert lines == rows
    mapping = EXAMPLES / f"{example}.yml"
    environ = {"RETAIL_DATA": str(SHARED_DATA)}
    settings, landing = land(spark, tmp_path, mapping, environ)
    lake = dataset_lake(settings, example)
    clean = lake.read(spark, Zone.clean, SALES_TABLE)
    assert lake.read(spark, Zone.raw, SALES_TABLE).count() == rows
    assert clean.count() + lake.read(spark, Zone.quarantine, "rows").count() == rows
    audit = lake.read(spark, Zone.audit, "batches").where(F.col("dataset") == f"{example}.sales")
    assert audit.where(~F.col("reconciled")).count() == 0
    assert audit.agg(F.sum("rows_in")).first()[0] == rows
    assert landing.staged.rows == rows
    if example == "walmart_recruiting":  # features.csv as history and as future values, stores.csv
        assert lake.read(spark, Zone.clean, "regressors").count() == 8_190
        assert lake.read(spark, Zone.clean, "future_regressors").count() == 8_190
        assert lake.read(spark, Zone.clean, "attributes_0").count() == 45
    quarantined = lake.read(spark, Zone.quarantine, "rows").count()
    assert quarantined == 0  # both data sets are clean: every source row reaches the marts

    from ingestion.mapping.landed import dbt_vars
    from ml.run import run_forecast
    from ml.target import ForecastTarget
    from shelfcast.dbt import build_dataset
    from shelfcast.warehouse import duckdb_path
    from tests.dbt.conftest import query

    variables = dbt_vars(settings, load_mapping(mapping, environ))
    build_dataset(settings, variables)
    warehouse = duckdb_path(settings)
    revenue_column = {"walmart_recruiting": "Weekly_Sales", "superstore": "Sales"}[example]
    # revenue is kept in cents: a line the file gives in tenths of a cent (Superstore's discounts) may move
    # the total by half a cent, no more; Walmart's cents add up exactly
    written = pd.read_csv(SHARED_DATA / source, dtype={revenue_column: str})[revenue_column]
    exact = [Decimal(text) for text in written]
    source_revenue = float(sum(exact, Decimal(0)))
    sub_cent = sum(1 for value in exact if value != value.quantize(Decimal("0.01")))
    cents = pytest.approx(source_revenue, abs=0.005 * sub_cent, rel=1e-12)
    built = query(
        warehouse,
        f"select count(*) as lines, sum(revenue) as revenue from {example}.fct_order_lines",
    ).iloc[0]
    assert built["lines"] == rows
    assert float(built["revenue"]) == cents
    kpis = query(warehouse, f"select sum(revenue) as revenue from {example}.mart_kpi_daily").iloc[0]
    assert float(kpis["revenue"]) == cents

    fast = settings.model_copy(update={"forecast_models": ["naive", "seasonal_naive", "lightgbm"]})
    outcome = run_forecast(fast, print, cutoffs=2, forecast_target=ForecastTarget.of_dataset(variables))
    horizon = 4 if example == "walmart_recruiting" else 28  # forecast_horizon's 28 days in the data's periods
    series = query(warehouse, f"select count(*) as n from {example}.dim_product").iloc[0]["n"]
    assert outcome.rows_written["ml_sales_forecast"] == outcome.series * horizon
    assert query(warehouse, f"select count(*) as n from {example}.fct_sales_forecast").iloc[0]["n"] == (
        outcome.series * horizon
    )
    assert outcome.series >= series  # every product, at every store it sold at
    demand = query(
        warehouse,
        f"select sum(demand) as demand from {example}.int_sales__features",
    ).iloc[0]["demand"]
    # the forecast's measure is the mapping's: Walmart's revenue (no units), Superstore's units
    measure = source_revenue if example == "walmart_recruiting" else None
    if measure is not None:
        assert demand == pytest.approx(measure, rel=1e-9)
    else:
        units = pd.read_csv(SHARED_DATA / source)["Quantity"].sum()
        assert demand == pytest.approx(units)


def test_cli_lands_prints_progress_and_refuses_mixed_options(tiny: Path, tmp_path: Path) -> None:
    from tests.synthetic.test_cli import assert_one_line_error, run_cli

    env = {"SHELFCAST_DATA_DIR": str(tmp_path / "data")}
    mixed = run_cli("ingest", "--dataset", str(tiny), "--source", "pos", env=env)
    assert_one_line_error(mixed, "--dataset lands a mapped dataset whole")
    result = run_cli("ingest", "--dataset", str(tiny), env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert "checked" in out and "8 rows, 5 series" in out
    assert "landed tiny_lines: 8 rows in, 5 clean, 3 quarantined, 4 business dates" in out
    assert "3 rows quarantined: see" in out
    (tiny.parent / "lines.csv").write_text(LINES.replace("10,50", "ten"), encoding="utf-8")
    refused = run_cli("ingest", "--dataset", str(tiny), env=env, timeout=600)
    assert_one_line_error(refused, "line 2: column 'amount'", "'ten' is not a number")
