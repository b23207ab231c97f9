"""`shelfcast evaluate` (issue 9): a small weekly dataset written as files with its mapping is forecast
from a cutoff, and the metrics it prints and stores equal an independent computation from the forecasts
CSV it writes and the actuals the test wrote; bad cutoffs, horizons and actuals files are clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from ingestion.mapping.load import load_mapping
from ingestion.mapping.periods import read_period_sales, read_regressor_values
from ml.evaluate import Evaluation, Weighting, evaluate
from ml.forecast import default_models
from ml.mapped_panel import history_panel, known_ahead
from shelfcast.errors import ShelfcastError
from tests.ml.independent_scores import Scoring, expected_metrics
from tests.synthetic.test_cli import assert_one_line_error, run_cli

START = dt.date(2021, 1, 1)  # a Friday
WEEKS = 120
CUTOFF = START + dt.timedelta(weeks=99)  # 100 weeks seen, 20 after
HORIZON = 13
MODELS = ("naive", "seasonal_naive", "moving_average_28")
HOLIDAY_FACTOR = 5.0

MAPPING = """\
name: tiny_weekly
source:
  files: sales.csv
read:
  date_format: "%Y-%m-%d"
grain: weekly
week: {anchor: friday, label: end}
columns:
  date: Date
  store: Store
  product: Dept
  revenue: Weekly_Sales
missing_days: zero
regressors:
  columns:
    - {column: IsHoliday, type: boolean, role: holiday}
  features:
    files: features.csv
    keys: {date: Date, store: Store}
  future:
    files: features.csv
    keys: {date: Date, store: Store}
"""


def _dates(weeks: int) -> list[dt.date]:
    return [START + dt.timedelta(weeks=week) for week in range(weeks)]


def _is_holiday(day: dt.date) -> bool:
    return day.isocalendar()[1] in (47, 51)


def write_sales(folder: Path) -> pd.DataFrame:
    """Weekly sales of 2 stores × 3 departments (codes with leading zeros) with a yearly shape and
    holiday peaks; one series starts too late for a seasonal-naive scale, one has a gap in its history,
    and the weeks after the cutoff hold a zero, a negative (returns) and a missing row. Written as
    sales.csv, with features.csv (the holiday flags) running 10 weeks past the sales."""
    rng = np.random.default_rng(3)
    rows = []
    for store in ("01", "02"):
        for dept in ("007", "010", "100"):
            level = rng.uniform(200, 2_000)
            first = 75 if (store, dept) == ("02", "100") else 0
            for week, day in enumerate(_dates(WEEKS)):
                if week < first:
                    continue
                shape = 1 + 0.3 * np.sin(2 * np.pi * week / 52) + 0.8 * _is_holiday(day)
                rows.append((store, dept, day, round(rng.normal(level * shape, 0.1 * level), 2)))
    sales = pd.DataFrame(rows, columns=["Store", "Dept", "Date", "Weekly_Sales"])
    sales = sales.drop(sales[(sales["Store"] == "01") & (sales["Dept"] == "010")].index[40:43])  # a gap
    after = sales["Date"] > CUTOFF
    first_after = sales[after & (sales["Store"] == "02") & (sales["Dept"] == "007")].index
    sales.loc[first_after[1], "Weekly_Sales"] = 0.0
    sales.loc[first_after[2], "Weekly_Sales"] = -35.5
    sales = sales.drop(first_after[3])
    sales["IsHoliday"] = sales["Date"].map(_is_holiday)
    sales.to_csv(folder / "sales.csv", index=False, date_format="%Y-%m-%d")
    features = pd.DataFrame(
        [(day, store, _is_holiday(day)) for day in _dates(WEEKS + 10) for store in ("01", "02")],
        columns=["Date", "Store", "IsHoliday"],
    )
    features.to_csv(folder / "features.csv", index=False)
    (folder / "mapping.yml").write_text(MAPPING, encoding="utf-8")
    return sales


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("tiny_weekly")
    return folder, write_sales(folder)


SCORING = Scoring(
    keys=["Store", "Dept"],
    date="Date",
    value="Weekly_Sales",
    flag="IsHoliday",
    factor=HOLIDAY_FACTOR,
    cutoff=CUTOFF,
    horizon=HORIZON,
)


def test_cli_prints_stores_and_tracks_metrics_equal_to_an_independent_computation(
    dataset: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    folder, sales = dataset
    result = run_cli(
        "evaluate",
        "--dataset",
        str(folder / "mapping.yml"),
        "--cutoff",
        CUTOFF.isoformat(),
        "--horizon",
        str(HORIZON),
        "--models",
        ",".join(MODELS),
        "--weight-column",
        "IsHoliday",
        env={"SHELFCAST_DATA_DIR": str(tmp_path)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = tmp_path / "evaluate" / "tiny_weekly" / CUTOFF.isoformat()
    forecasts = pd.read_csv(out / "forecasts.csv", dtype={"Store": str, "Dept": str}, parse_dates=["date"])
    # every series (codes keep their leading zeros) × 13 Fridays after the cutoff × every model
    assert len(forecasts) == 6 * HORIZON * len(MODELS)
    assert set(forecasts["Dept"]) == {"007", "010", "100"}
    fridays = pd.date_range(CUTOFF + dt.timedelta(weeks=1), periods=HORIZON, freq="7D")
    assert (np.sort(forecasts["date"].unique()) == fridays.to_numpy()).all()
    # the weekly seasonal naive repeats the same week a year before
    repeated = forecasts[
        (forecasts["model"] == "seasonal_naive") & (forecasts["Store"] == "01") & (forecasts["Dept"] == "007")
    ]
    history = sales.set_index(["Store", "Dept", "Date"])["Weekly_Sales"]
    year_before = [history[("01", "007", (day - pd.Timedelta(weeks=52)).date())] for day in repeated["date"]]
    assert np.allclose(repeated["forecast"], np.clip(year_before, 0, None))

    stored = pd.read_csv(out / "metrics.csv")
    expected = expected_metrics(sales, forecasts, SCORING)
    columns = ["mae", "rmse", "mase", "wape", "rmspe", "wmae"]
    assert stored[["model", "statistic"]].equals(expected[["model", "statistic"]])
    assert np.allclose(stored[columns].to_numpy(float), expected[columns].to_numpy(float), rtol=1e-9)
    # the 13 weeks hold 6 × 13 rows but one is missing: only the rows the data has are scored
    assert (stored["rows"] == 6 * HORIZON - 1).all() and (stored["series"] == 6).all()

    pooled = expected[expected["statistic"] == "pooled"].set_index("model")
    lines = result.stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if "pooled over the rows" in line)
    table = lines[title : next(i for i, line in enumerate(lines) if "mean over series" in line)]
    printed = {line.split()[0]: line.split()[1:] for line in table if line.split()[:1] != []}
    for model in MODELS:
        mae, _, mase = (float(value.replace(",", "")) for value in printed[model][:3])
        assert mae == pytest.approx(pooled.loc[model, "mae"], abs=0.051)
        assert mase == pytest.approx(pooled.loc[model, "mase"], abs=0.0006)

    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
    runs = mlflow.search_runs(experiment_names=["shelfcast-evaluate"])
    assert len(runs) == 1
    assert runs.loc[0, "metrics.seasonal_naive.pooled.wmae"] == pytest.approx(
        pooled.loc["seasonal_naive", "wmae"]
    )


def test_the_panel_is_weekly_fills_gaps_and_takes_the_holidays_from_the_features_past_the_data(
    dataset: tuple[Path, pd.DataFrame],
) -> None:
    folder, sales = dataset
    loaded = load_mapping(folder / "mapping.yml", {})
    con = duckdb.connect()
    period_sales = read_period_sales(con, loaded)
    regressors = read_regressor_values(con, loaded, max(sales["Date"]))
    panel, keys = history_panel(period_sales, loaded.mapping, CUTOFF)
    assert (panel.period_days, panel.days, panel.start) == (7, 100, START)
    assert keys.to_dict("list") == {"Store": ["01"] * 3 + ["02"] * 3, "Dept": ["007", "010", "100"] * 2}
    assert (panel.units[1, 40:43] == 0).all()  # the weeks 01/010 has no row: no sales
    late = panel.units[5]
    assert np.isnan(late[:75]).all() and not np.isnan(late[75:]).any()  # 02/100 exists from week 75
    weeks = 135  # the sales end after 120 weeks; features.csv, the future table too, after 130
    holidays = known_ahead(panel, keys, regressors, weeks)["is_holiday"]
    flags = [_is_holiday(day) for day in _dates(130)]
    assert (holidays[:, :130] == np.array(flags, dtype=float)).all() and sum(flags) >= 4
    assert (holidays[:, 130:] == 0).all()


def _split(folder: Path, sales: pd.DataFrame, target: Path) -> Path:
    """The dataset cut at the cutoff: history.csv (the mapping's data) and actuals.csv (the rest)."""
    target.mkdir(exist_ok=True)
    sales[sales["Date"] <= CUTOFF].to_csv(target / "history.csv", index=False)
    sales[sales["Date"] > CUTOFF].to_csv(target / "actuals.csv", index=False)
    (target / "features.csv").write_bytes((folder / "features.csv").read_bytes())
    mapping = target / "mapping.yml"
    mapping.write_text(MAPPING.replace("files: sales.csv", "files: history.csv"), encoding="utf-8")
    return mapping


def run(mapping: Path, cutoff: dt.date = CUTOFF, horizon: int = HORIZON, **options: object) -> Evaluation:
    models = default_models(names=MODELS)
    return evaluate(load_mapping(mapping, {}), cutoff, horizon, models, **options)  # type: ignore[arg-type]


def test_a_separate_actuals_file_scores_as_the_data_after_the_cutoff(
    dataset: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    folder, sales = dataset
    weighting = Weighting("IsHoliday", HOLIDAY_FACTOR)
    whole = run(folder / "mapping.yml", weighting=weighting)
    split = run(_split(folder, sales, tmp_path), actuals=tmp_path / "actuals.csv", weighting=weighting)
    assert split.actuals.endswith("actuals.csv") and split.scored == whole.scored == 6 * HORIZON - 1
    pd.testing.assert_frame_equal(split.forecasts, whole.forecasts)
    pd.testing.assert_frame_equal(
        split.metrics.drop(columns="seconds"), whole.metrics.drop(columns="seconds")
    )


def error_of(mapping: Path, **options: object) -> str:
    with pytest.raises(ShelfcastError) as caught:
        run(mapping, **options)
    return str(caught.value)


def test_a_cutoff_outside_the_data_is_refused(dataset: tuple[Path, pd.DataFrame]) -> None:
    mapping = dataset[0] / "mapping.yml"
    before = error_of(mapping, cutoff=START - dt.timedelta(days=1))
    assert "--cutoff 2020-12-31 leaves 0 weeks" in before and "on or after 2021-02-19 (8 weeks)" in before
    assert "leaves 4 weeks" in error_of(mapping, cutoff=START + dt.timedelta(weeks=3))
    last = START + dt.timedelta(weeks=WEEKS - 1)
    after = error_of(mapping, cutoff=last + dt.timedelta(weeks=1))
    assert f"is after the last date of {mapping.parent / 'sales.csv'} ({last})" in after
    assert "nothing after it to score" in error_of(mapping, cutoff=last)


def test_a_horizon_beyond_the_actuals_is_refused(dataset: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    folder, sales = dataset
    last = START + dt.timedelta(weeks=WEEKS - 1)
    late = START + dt.timedelta(weeks=110)
    in_data = error_of(folder / "mapping.yml", cutoff=late)
    needs = late + dt.timedelta(weeks=HORIZON)
    assert (
        f"ends on {last}, 9 weeks after the cutoff {late}: --horizon 13 needs weeks up to {needs}" in in_data
    )
    assert "--horizon 9 or less" in in_data
    mapping = _split(folder, sales, tmp_path)
    beyond = error_of(mapping, horizon=WEEKS - 100 + 1, actuals=tmp_path / "actuals.csv")
    assert f"actuals.csv ends on {last}, 20 weeks after the cutoff {CUTOFF}" in beyond
    assert f"--horizon 21 needs weeks up to {last + dt.timedelta(weeks=1)}" in beyond


def test_an_actuals_file_missing_a_column_is_refused(
    dataset: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    folder, sales = dataset
    mapping = _split(folder, sales, tmp_path)
    actuals = tmp_path / "actuals.csv"
    sales[sales["Date"] > CUTOFF].drop(columns="Weekly_Sales").to_csv(actuals, index=False)
    message = error_of(mapping, actuals=actuals)
    line = next(n for n, text in enumerate(MAPPING.splitlines(), 1) if "revenue:" in text)
    assert (
        f"{actuals} has no column 'Weekly_Sales' (mapped as columns.revenue in {mapping}:{line})" in message
    )
    assert "its columns are: Store, Dept, Date, IsHoliday" in message
    missing_flag = error_of(mapping, actuals=tmp_path / "history.csv", weighting=Weighting("Holiday", 5.0))
    assert "has no column 'Holiday' (--weight-column)" in missing_flag
    result = run_cli(
        "evaluate",
        "--dataset",
        str(mapping),
        "--cutoff",
        CUTOFF.isoformat(),
        "--horizon",
        "4",
        "--actuals",
        str(actuals),
        "--models",
        "naive",
        "--no-track",
        timeout=120,
    )
    assert_one_line_error(result, "has no column 'Weekly_Sales'")


ORDER_LINES = """\
day,store,sku,order,qty,kind,open
2024-03-01,001,A1,o1,2,SALE,true
2024-03-01,001,A1,o2,1,RETURN,true
2024-03-01,001,B2,o3,3,SALE,true
2024-03-02,001,A1,o4,,SALE,false
2024-03-03,001,A1,o5,-2,SALE,true
2024-03-03,001,A1,,1,SALE,true
"""

ORDER_MAPPING = """\
name: order_lines
source: {files: lines.csv}
grain: order_line
columns: {date: day, store: store, product: sku, order_id: order, quantity: qty, is_open: open}
missing_days: zero
"""
IN_THE_LINES = "returns: {column: kind, values: [RETURN]}\n"
IN_A_TABLE = "returns: {column: status, values: [R], table: {files: returns.csv, keys: {order_id: order}}}\n"


@pytest.mark.parametrize("returns", [IN_THE_LINES, IN_A_TABLE])
def test_order_lines_sum_per_day_net_returns_and_leave_closed_days_unknown(
    tmp_path: Path, returns: str
) -> None:
    (tmp_path / "lines.csv").write_text(ORDER_LINES, encoding="utf-8")
    (tmp_path / "returns.csv").write_text("order,status\no2,R\no3,-\n", encoding="utf-8")
    (tmp_path / "mapping.yml").write_text(ORDER_MAPPING + returns, encoding="utf-8")
    loaded = load_mapping(tmp_path / "mapping.yml", {})
    sales = read_period_sales(duckdb.connect(), loaded)
    rows = sales.rows.sort_values(["sku", "date"]).reset_index(drop=True)
    # a return line counts negative whatever its sign; the line without an order id is still a sale
    assert np.array_equal(rows["sales"], [1.0, np.nan, -1.0, 3.0], equal_nan=True)
    assert rows["closed"].tolist() == [False, True, False, False] and rows["rows"].tolist() == [2, 1, 2, 1]
    panel, keys = history_panel(sales, loaded.mapping, dt.date(2024, 3, 3))
    assert keys.to_dict("list") == {"store": ["001", "001"], "sku": ["A1", "B2"]}
    # closed: unknown, not zero; net returns above sales: no demand; no row after the first sale: zero
    assert np.array_equal(panel.units, [[1.0, np.nan, 0.0], [3.0, 0.0, 0.0]], equal_nan=True)


@pytest.mark.parametrize(
    ("regressors", "message"),
    [
        (
            "[{column: Promo, type: category, role: promotion}]",
            "a promotion regressor cannot be of type category",
        ),
        (
            "[{column: A, type: boolean, role: holiday}, {column: B, type: boolean, role: holiday}]",
            "two regressors have role holiday",
        ),
    ],
)
def test_a_regressor_role_must_fit_its_type_and_be_given_once(
    tmp_path: Path, regressors: str, message: str
) -> None:
    path = tmp_path / "mapping.yml"
    text = MAPPING.split("regressors:")[0] + f"regressors:\n  columns: {regressors}\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ShelfcastError, match=message) as caught:
        load_mapping(path, {})
    assert caught.value.message.startswith(f"{path}:{len(text.splitlines())}: regressors.columns[")
