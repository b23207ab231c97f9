"""The dataset mapping file (issue 9): the shipped examples check against the real data sets, and every
kind of bad input is one clear error naming the file, the line or column and the fix."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import pytest
import yaml

from ingestion.mapping.check import CheckSummary, check_mapping
from ingestion.mapping.load import MappingFile, load_mapping
from ingestion.mapping.schema import Mapping, json_schema, json_schema_text
from shelfcast.errors import ShelfcastError
from tests.synthetic.test_cli import assert_one_line_error, run_cli

ROOT = Path(__file__).resolve().parents[2]
MAPPING_DIR = ROOT / "ingestion" / "mapping"
EXAMPLES = MAPPING_DIR / "examples"
# the shared reference data sets sit beside the repository; the product itself never refers to them
SHARED_DATA = Path(os.environ.get("RETAIL_DATA") or ROOT.parent / "shared" / "data")
needs_shared_data = pytest.mark.skipif(
    not (SHARED_DATA / "walmart_recruiting" / "train.csv").is_file()
    or not (SHARED_DATA / "superstore" / "orders.csv").is_file(),
    reason=f"the shared retail data sets are not in {SHARED_DATA} (set RETAIL_DATA to their folder)",
)

SALES = """\
day,store,sku,qty,amount,note
2024-03-01,001,A1,2,10.5,plain
2024-03-01,001,B2,1,3.25,"two
lines"
2024-03-01,002,A1,4,21,plain
2024-03-02,001,A1,3,15.75,plain
2024-03-02,002,A1,1,5.25,plain
"""

MAPPING = """\
name: tiny_shop
source:
  files: sales.csv
grain: daily
columns:
  date: day
  store: store
  product: sku
  quantity: qty
  revenue: amount
missing_days: zero
"""


def write_dataset(folder: Path, sales: str = SALES, mapping: str = MAPPING, **files: str) -> Path:
    """A mapping file and its data in `folder`; returns the mapping's path."""
    (folder / "sales.csv").write_text(sales, encoding="utf-8")
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    path = folder / "mapping.yml"
    path.write_text(mapping, encoding="utf-8")
    return path


def load(path: Path, environ: dict[str, str] | None = None) -> MappingFile:
    return load_mapping(path, environ or {})


def check_error(path: Path, horizon: int | None = None) -> ShelfcastError:
    with pytest.raises(ShelfcastError) as caught:
        check_mapping(load(path), horizon)
    return caught.value


def line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


# --- the shipped examples on the real data sets ---------------------------------------------------------


@pytest.fixture(scope="module")
def walmart() -> CheckSummary:
    loaded = load_mapping(EXAMPLES / "walmart_recruiting.yml", {"RETAIL_DATA": str(SHARED_DATA)})
    return check_mapping(loaded, horizon=39)


@needs_shared_data
def test_walmart_mapping_reads_every_row_of_train_csv(walmart: CheckSummary) -> None:
    # figures of /work/shared/data/README.md, computed there with pandas and DuckDB
    assert walmart.rows == 421_570
    assert walmart.series == 3_331
    assert (walmart.first_date, walmart.last_date) == (dt.date(2010, 2, 5), dt.date(2012, 10, 26))
    assert walmart.grain.startswith("weekly") and "Friday" in walmart.grain
    assert walmart.columns["columns.revenue"] == "Weekly_Sales"
    assert dict((key, rows) for key, _, rows in walmart.tables) == {
        "source": 421_570,
        "regressors.features": 8_190,
        "regressors.future": 8_190,
        "attributes[0]": 45,
    }
    notes = "\n".join(walmart.notes)
    assert "1,285 rows have a negative revenue: returns" in notes
    assert "MarkDown1 4,158, MarkDown2 5,269, MarkDown3 4,577, MarkDown4 4,726, MarkDown5 4,140" in notes
    assert "cover 39 weeks after 2012-10-26 (to 2013-07-26) for all 45 store keys" in notes


@needs_shared_data
def test_walmart_future_features_end_after_39_weeks() -> None:
    loaded = load_mapping(EXAMPLES / "walmart_recruiting.yml", {"RETAIL_DATA": str(SHARED_DATA)})
    with pytest.raises(ShelfcastError) as caught:
        check_mapping(loaded, horizon=40)
    message = str(caught.value)
    assert "features.csv does not cover the 40-week horizon after the last sales date 2012-10-26" in message
    assert "45 (store, date) pairs are missing, the first Store=1 on 2013-08-02 (week 40)" in message


@needs_shared_data
def test_superstore_mapping_reads_order_lines_and_returns() -> None:
    loaded = load_mapping(EXAMPLES / "superstore.yml", {"RETAIL_DATA": str(SHARED_DATA)})
    summary = check_mapping(loaded)
    assert summary.rows == 10_194
    assert summary.series == 1_862  # product IDs
    assert (summary.first_date, summary.last_date) == (dt.date(2019, 1, 3), dt.date(2022, 12, 30))
    assert summary.date_format == "%Y-%m-%d (detected)"
    assert dict((key, rows) for key, _, rows in summary.tables) == {"source": 10_194, "returns.table": 800}
    # every returned order is listed once per line: 800 lines of 296 orders
    assert "800 sales rows are returned sales, marked by 296 distinct Order ID values" in "\n".join(
        summary.notes
    )
    assert "Postal Code" in summary.unused


@needs_shared_data
def test_cli_prints_the_summary() -> None:
    result = run_cli(
        "dataset",
        "check",
        str(EXAMPLES / "superstore.yml"),
        env={"RETAIL_DATA": str(SHARED_DATA)},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "10,194 rows, 1,862 series, 2019-01-03 … 2022-12-30" in result.stdout


def test_examples_refer_to_the_data_through_a_variable() -> None:
    for example in EXAMPLES.glob("*.yml"):
        text = example.read_text()
        assert "shared" not in text and "/work" not in text, example
        paths = re.findall(r"files: (\S+)", text)
        assert paths and all(path.startswith("${RETAIL_DATA}/") for path in paths), example


def test_unset_variable_is_named_with_its_line(tmp_path: Path) -> None:
    path = write_dataset(tmp_path, mapping=MAPPING.replace("files: sales.csv", "files: ${MY_DATA}/sales.csv"))
    with pytest.raises(ShelfcastError) as caught:
        load(path)
    assert str(caught.value).startswith(f"{path}:3: source.files: environment variable MY_DATA is not set")
    assert "export MY_DATA=" in str(caught.value)
    assert check_mapping(load(path, {"MY_DATA": str(tmp_path)})).rows == 5


# --- the schema ---------------------------------------------------------------------------------------------


def test_committed_json_schema_is_the_generated_one() -> None:
    committed = (MAPPING_DIR / "mapping.schema.json").read_text(encoding="utf-8")
    assert committed == json_schema_text(), (
        "regenerate: shelfcast dataset schema > ingestion/mapping/mapping.schema.json"
    )
    assert json.loads(committed) == json_schema()


def test_examples_validate_against_the_json_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(json_schema())
    for example in EXAMPLES.glob("*.yml"):
        validator.validate(yaml.safe_load(example.read_text()))
    typo = yaml.safe_load((EXAMPLES / "superstore.yml").read_text())
    typo["columns"]["quantitiy"] = "Quantity"
    assert not validator.is_valid(typo)


def test_readme_documents_every_field() -> None:
    readme = (MAPPING_DIR / "README.md").read_text(encoding="utf-8")
    fields: set[str] = set()

    def collect(model: type) -> None:
        for name, info in model.model_fields.items():  # type: ignore[attr-defined]
            fields.add(name)
            for inner in _models(info.annotation):
                collect(inner)

    collect(Mapping)
    assert not {name for name in fields if f"`{name}`" not in readme}


def _models(annotation: object) -> list[type]:
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models(arg)]


def test_schema_command_prints_the_committed_file() -> None:
    result = run_cli("dataset", "schema", timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (MAPPING_DIR / "mapping.schema.json").read_text(encoding="utf-8")


# --- bad mappings ---------------------------------------------------------------------------------------


def test_key_typo_names_its_line_and_the_key_meant(tmp_path: Path) -> None:
    path = write_dataset(tmp_path, mapping=MAPPING.replace("  quantity: qty", "  quantitiy: qty"))
    with pytest.raises(ShelfcastError) as caught:
        load(path)
    line = line_of(path, "quantitiy")
    assert line == 9
    assert caught.value.message == f"{path}:{line}: unknown key 'quantitiy' in columns"
    assert caught.value.hint == "did you mean 'quantity'?"


def test_mistakes_yaml_hides_are_named(tmp_path: Path) -> None:
    twice = write_dataset(tmp_path, mapping=MAPPING + "grain: weekly\n")
    with pytest.raises(
        ShelfcastError, match=r"mapping.yml:12: key 'grain' appears twice \(first on line 4\)"
    ):
        load(twice)
    boolean = write_dataset(tmp_path, mapping=MAPPING + "returns: {column: note, values: [Yes]}\n")
    with pytest.raises(ShelfcastError) as caught:
        load(boolean)
    assert caught.value.message.startswith(f"{boolean}:12: returns.values[0]: Input should be a valid string")
    assert "quote the value" in (caught.value.hint or "")
    weakly = write_dataset(tmp_path, mapping=MAPPING.replace("grain: daily", "grain: weakly"))
    with pytest.raises(ShelfcastError) as caught:
        load(weakly)
    assert caught.value.message.startswith(f"{weakly}:4: grain: Input should be 'order_line', 'daily' or")
    assert caught.value.hint == "did you mean 'weekly'?"


def test_missing_required_key_says_what_to_add(tmp_path: Path) -> None:
    path = write_dataset(tmp_path, mapping=MAPPING.replace("missing_days: zero\n", ""))
    with pytest.raises(ShelfcastError) as caught:
        load(path)
    assert caught.value.message == f"{path}:1: missing_days is required"
    assert (caught.value.hint or "").startswith("add missing_days: zero | closed")


def test_password_in_a_jdbc_url_is_refused(tmp_path: Path) -> None:
    jdbc = "source:\n  jdbc:\n    url: jdbc:postgresql://shop:secret@db:5432/sales\n    table: sales\n"
    path = write_dataset(tmp_path, mapping=MAPPING.replace("source:\n  files: sales.csv\n", jdbc))
    with pytest.raises(ShelfcastError) as caught:
        load(path)
    assert caught.value.message == f"{path}:4: source.jdbc.url: the JDBC url carries a password"
    assert "password_env" in (caught.value.hint or "")


def test_jdbc_source_is_validated_but_not_read(tmp_path: Path) -> None:
    jdbc = (
        "source:\n  jdbc:\n    url: jdbc:postgresql://${DB_HOST}:5432/sales\n    table: pos.daily_sales\n"
        "    user_env: SALES_DB_USER\n    password_env: SALES_DB_PASSWORD\n"
    )
    path = write_dataset(tmp_path, mapping=MAPPING.replace("source:\n  files: sales.csv\n", jdbc))
    loaded = load(path, {"DB_HOST": "db.example.com"})
    assert loaded.mapping.source.jdbc is not None
    assert loaded.mapping.source.jdbc.url == "jdbc:postgresql://db.example.com:5432/sales"
    summary = check_mapping(loaded)
    assert summary.rows is None and summary.columns["columns.quantity"] == "qty"
    assert summary.notes == [
        "the JDBC table is not read by this check: Spark reads it when the dataset is landed"
    ]
    # landing one is refused before any Spark session starts (the factory would fail the test)
    from ingestion.mapping.land import land_dataset
    from shelfcast.config import load_settings

    with pytest.raises(ShelfcastError, match="from a database table is not supported yet"):
        land_dataset(lambda: pytest.fail("Spark started"), load_settings(data_dir=tmp_path), loaded, print)


# --- bad data -------------------------------------------------------------------------------------------


def test_tiny_dataset_checks(tmp_path: Path) -> None:
    summary = check_mapping(load(write_dataset(tmp_path)))
    assert (summary.rows, summary.series) == (5, 3)
    assert summary.date_format == "%Y-%m-%d (detected)"
    assert summary.unused == ["note"]
    assert "5 rows have codes with leading zeros, kept as text" in summary.notes


def test_gzipped_text_is_read_as_text(tmp_path: Path) -> None:
    import gzip

    write_dataset(tmp_path)
    (tmp_path / "sales.csv.gz").write_bytes(gzip.compress((tmp_path / "sales.csv").read_bytes()))
    path = write_dataset(tmp_path, mapping=MAPPING.replace("sales.csv", "sales.csv.gz"))
    summary = check_mapping(load(path))
    assert (summary.rows, summary.series) == (5, 3)


def test_missing_column_names_file_column_and_the_close_match(tmp_path: Path) -> None:
    path = write_dataset(tmp_path, mapping=MAPPING.replace("quantity: qty", "quantity: quantity"))
    error = check_error(path)
    assert error.message == (
        f"{tmp_path / 'sales.csv'} has no column 'quantity' (mapped as columns.quantity in {path}:9); "
        "its columns are: day, store, sku, qty, amount, note"
    )
    assert error.hint == "did you mean 'qty'? fix columns.quantity in the mapping"


def test_ambiguous_date_format_asks_for_read_date_format(tmp_path: Path) -> None:
    sales = SALES.replace("2024-03-01", "01/03/2024").replace("2024-03-02", "02/03/2024")
    error = check_error(write_dataset(tmp_path, sales))
    assert "the dates in column 'day' are ambiguous: they read as %d/%m/%Y and as %m/%d/%Y" in error.message
    assert "'01/03/2024' is 2024-03-01 or 2024-01-03" in error.message
    assert error.hint == 'set read.date_format to the one meant, e.g. date_format: "%d/%m/%Y"'
    # a day above 12 settles it; declaring the format does too
    settled = write_dataset(tmp_path, sales + "13/03/2024,001,A1,1,5,plain\n")
    assert check_mapping(load(settled)).date_format == "%d/%m/%Y (detected)"
    declared = MAPPING + 'read:\n  date_format: "%m/%d/%Y"\n'
    assert check_mapping(load(write_dataset(tmp_path, sales, declared))).last_date == dt.date(2024, 2, 3)


def test_unparseable_number_names_its_line(tmp_path: Path) -> None:
    # lines 3-4 hold one row (a quoted field with a line break): the bad value is on the file's line 5
    sales = SALES.replace("2024-03-01,002,A1,4,21,plain", "2024-03-01,002,A1,4,21.0x,plain")
    error = check_error(write_dataset(tmp_path, sales))
    assert error.message == (
        f"{tmp_path / 'sales.csv'} line 5: column 'amount' (columns.revenue): '21.0x' is not a number "
        "(decimal '.') (1 value refused)"
    )
    assert "read.decimal" in (error.hint or "")
    european = write_dataset(tmp_path, SALES.replace("10.5", '"10,5"'), MAPPING + 'read:\n  decimal: ","\n')
    assert check_error(european).message == (
        f"{tmp_path / 'sales.csv'} line 3: column 'amount' (columns.revenue): '3.25' is not a number "
        "(decimal ',') (3 values refused)"
    )


def test_duplicate_keys_at_the_grain_give_a_count_and_an_example(tmp_path: Path) -> None:
    sales = SALES + "2024-03-02,002,A1,2,10.5,again\n2024-03-02,001,A1,1,5.25,again\n"
    error = check_error(write_dataset(tmp_path, sales))
    assert error.message == (
        f"{tmp_path / 'sales.csv'}: 2 keys (day, store, sku) occur more than once at the daily grain, "
        "4 rows in all; e.g. day=2024-03-02, store=001, sku=A1 on 2 rows"
    )
    assert "sum the rows to one per series and day" in (error.hint or "")


def test_weekly_dates_must_share_the_anchor_weekday(tmp_path: Path) -> None:
    weekly = MAPPING.replace("grain: daily", "grain: weekly\nweek: {anchor: friday, label: end}")
    saturdays = SALES.replace("2024-03-01", "2024-03-09")  # 2024-03-02 and 2024-03-09 are Saturdays
    error = check_error(write_dataset(tmp_path, saturdays, weekly))
    assert error.message == (
        f"{tmp_path / 'sales.csv'}: 5 weekly dates in column 'day' are not a Friday, e.g. 2024-03-02 "
        "(Saturday); most are a Saturday"
    )
    assert error.hint == "set week.anchor: saturday if that is the data's weekday, or fix the dates"
    fixed = write_dataset(tmp_path, saturdays, weekly.replace("friday", "saturday"))
    assert check_mapping(load(fixed)).grain == "weekly: every date a Saturday, the week's end"


FEATURES = """\
day,store,temperature,on_promo
2024-03-01,001,10.5,no
2024-03-01,002,11.0,no
2024-03-02,001,9.5,yes
2024-03-02,002,,yes
2024-03-03,001,8.0,no
2024-03-03,002,8.5,no
2024-03-04,001,7.0,no
"""

REGRESSORS = """\
regressors:
  columns: [temperature, {column: on_promo, type: boolean}]
  features:
    files: features.csv
    keys: {date: day, store: store}
  future:
    files: features.csv
    keys: {date: day, store: store}
"""


def test_future_regressors_must_cover_the_horizon(tmp_path: Path) -> None:
    path = write_dataset(tmp_path, mapping=MAPPING + REGRESSORS, **{"features.csv": FEATURES})
    summary = check_mapping(load(path), horizon=1)
    assert "future regressors cover 1 day after 2024-03-02 (to 2024-03-03) for all 2 store keys" in "\n".join(
        summary.notes
    )
    error = check_error(path, horizon=2)
    assert error.message == (
        f"{tmp_path / 'features.csv'} does not cover the 2-day horizon after the last sales date 2024-03-02: "
        "1 (store, date) pairs are missing, the first store=002 on 2024-03-04 (day 2); it covers 1 day "
        "for all 2 store keys of the sales rows"
    )
    assert error.hint == "add rows up to 2024-03-04 for every key, or forecast a shorter --horizon"
    without = write_dataset(tmp_path, mapping=MAPPING + REGRESSORS.split("  future:")[0])
    assert "declare regressors.future" in (check_error(without, horizon=1).hint or "")


def test_a_regressor_table_has_one_row_per_key(tmp_path: Path) -> None:
    features = FEATURES + "2024-03-02,001,9.0,yes\n"
    path = write_dataset(tmp_path, mapping=MAPPING + REGRESSORS, **{"features.csv": features})
    error = check_error(path)
    assert error.message == (
        f"{tmp_path / 'features.csv'}: 1 keys (day, store) occur more than once, e.g. day=2024-03-02, "
        "store=001 on 2 rows; regressors.features must have one row per key"
    )


def test_parquet_sources_are_checked_like_text(tmp_path: Path) -> None:
    import duckdb

    write_dataset(tmp_path)
    parquet = tmp_path / "sales.parquet"
    duckdb.sql(
        f"COPY (SELECT * REPLACE (CASE WHEN qty = '4' THEN 'four' ELSE qty END AS qty) FROM read_csv("
        f"'{tmp_path / 'sales.csv'}', all_varchar=true)) TO '{parquet}' (FORMAT parquet)"
    )
    path = write_dataset(tmp_path, mapping=MAPPING.replace("sales.csv", "sales.parquet"))
    error = check_error(path)
    assert error.message.startswith(
        f"{parquet} row 3: column 'qty' (columns.quantity): 'four' is not a number"
    )
    # natively typed columns (DATE, DOUBLE) need no format
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{tmp_path / 'sales.csv'}')) TO '{parquet}' (FORMAT parquet)")
    summary = check_mapping(load(path))
    assert (summary.rows, summary.series, summary.date_format) == (5, 3, "native date")


def test_cli_error_is_one_line(tmp_path: Path) -> None:
    path = write_dataset(tmp_path, mapping=MAPPING.replace("sku", "SKU"))
    assert_one_line_error(
        run_cli("dataset", "check", str(path), timeout=60), "has no column 'SKU'", "did you mean 'sku'?"
    )
