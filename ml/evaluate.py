"""`shelfcast evaluate`: a retailer's dataset read from its files through its mapping (no lake, no
warehouse), every model fitted on the periods up to a cutoff, the next `horizon` periods forecast, and
the forecasts scored per model against the data after the cutoff or against a separate file of actuals.

The panel follows the data's grain (weeks on weekly data, as `benchmarks/forecast_walmart.py` builds
it); what is scored are the (series, period) rows the actuals have in the horizon."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from ingestion.mapping.check import check_mapping
from ingestion.mapping.load import MappingFile
from ingestion.mapping.periods import PeriodSales, read_period_sales, read_regressor_values
from ingestion.mapping.schema import TableSource
from ml.backtest import MIN_TRAINING_DAYS, history_at
from ml.mapped_panel import history_panel, known_ahead
from ml.metrics import evaluation_scores, seasonal_naive_scale
from ml.models import Model
from ml.panel import Panel, periods, with_known_ahead
from shelfcast.errors import ShelfcastError

FORECAST_COLUMNS = ("date", "step", "model", "forecast")


@dataclass(frozen=True)
class Weighting:
    """Rows whose `column` is true weigh `factor` in the WMAE, the others 1."""

    column: str
    factor: float


@dataclass
class Evaluation:
    dataset: str
    cutoff: dt.date
    horizon: int
    unit: str  # "day" or "week"
    history: tuple[dt.date, dt.date]  # the first and last period the models saw
    series: int  # series forecast
    scored: int  # (series, period) rows scored
    scored_series: int
    actuals: str  # the files scored against
    metrics: pd.DataFrame  # model, statistic, EVALUATION_METRICS, rows, series, seconds
    forecasts: pd.DataFrame  # the series key columns, FORECAST_COLUMNS
    seconds: dict[str, float]  # per model: fit and forecast
    notes: list[str]


def evaluate(
    loaded: MappingFile,
    cutoff: dt.date,
    horizon: int,
    models: dict[str, Model],
    actuals: Path | None = None,
    weighting: Weighting | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> Evaluation:
    """Every model fitted on the dataset's periods up to and including `cutoff`, scored on the next
    `horizon` periods."""
    mapping = loaded.mapping
    if mapping.source.jdbc is not None:
        raise ShelfcastError(
            f"evaluate reads files, and {loaded.at('source.jdbc')} names a JDBC table",
            hint="export the table to CSV or Parquet and point source.files at it",
        )
    started = time.perf_counter()
    summary = check_mapping(loaded)  # every problem `dataset check` names stops here, before any model
    assert summary.last_date is not None
    unit = "week" if mapping.grain == "weekly" else "day"
    flag = weighting.column if weighting else None
    con = duckdb.connect()
    try:
        sales = read_period_sales(con, loaded, flag=None if actuals else flag)
        truth = read_period_sales(con, loaded, _file_source(actuals), flag) if actuals else sales
        dates = _horizon_dates(sales, truth, cutoff, horizon, mapping.step_days, unit, actuals is not None)
        future = (dates[-1].date() - summary.last_date).days // mapping.step_days
        roles = [spec.role for spec in mapping.regressors.specs if spec.role] if mapping.regressors else []
        if future > 0 and roles:
            check_mapping(loaded, future)  # the future regressors must cover the horizon past the data
        regressors = read_regressor_values(con, loaded, summary.last_date)
    finally:
        con.close()
    panel, keys = history_panel(sales, mapping, cutoff)
    panel = with_known_ahead(
        panel, panel.days + horizon, known_ahead(panel, keys, regressors, panel.days + horizon)
    )
    took = time.perf_counter() - started
    log(
        f"read {summary.rows:,} rows in {took:.1f} s: {len(panel.series):,} series × {panel.days:,} {unit}s "
        f"up to the cutoff ({panel.start} … {panel.date_of(panel.days - 1)}); forecasting {sales.measure} "
        f"{horizon} {unit}s ahead with {', '.join(models)}"
    )
    values, seconds = final_forecasts(panel, models, horizon, log, unit)
    forecasts = forecast_frame(panel, keys, values)
    rows, notes = _scored_rows(truth, dates, keys, panel, weighting, mapping.grain != "order_line")
    metrics = _metrics(rows, forecasts, sales.keys, seconds)
    return Evaluation(
        dataset=mapping.name,
        cutoff=cutoff,
        horizon=horizon,
        unit=unit,
        history=(panel.start, panel.date_of(panel.days - 1)),
        series=len(panel.series),
        scored=len(rows),
        scored_series=int(rows["series"].nunique()),
        actuals=truth.files,
        metrics=metrics,
        forecasts=forecasts,
        seconds=seconds,
        notes=notes,
    )


def final_forecasts(
    panel: Panel,
    models: dict[str, Model],
    horizon: int,
    log: Callable[[str], None] = lambda _: None,
    unit: str = "period",
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Each model fitted once on the whole panel: its forecasts [series, horizon] and seconds taken."""
    history = history_at(panel, panel.days, horizon)
    values, seconds = {}, {}
    for name, model in models.items():
        started = time.perf_counter()
        values[name] = model(history)
        seconds[name] = time.perf_counter() - started
        log(f"  {name:<20} {len(panel.series):,} series × {horizon} {unit}s  {seconds[name]:6.1f} s")
    return values, seconds


def forecast_frame(panel: Panel, keys: pd.DataFrame, values: dict[str, np.ndarray]) -> pd.DataFrame:
    """Forecasts [series, horizon] from the end of `panel` as rows: the series' `keys` (one row per panel
    series, in its order), `date`, `step`, `model`, `forecast`."""
    frames = []
    for name, point in values.items():
        series, horizon = point.shape
        dates = panel.dates(panel.days, horizon).to_numpy(dtype="datetime64[ns]")
        frame = keys.iloc[np.repeat(np.arange(series), horizon)].reset_index(drop=True)
        frame["date"] = np.tile(dates, series)
        frame["step"] = np.tile(np.arange(1, horizon + 1), series)
        frame["model"] = name
        frame["forecast"] = point.reshape(-1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def write_evaluation(evaluation: Evaluation, folder: Path) -> tuple[Path, Path]:
    """`metrics.csv` and `forecasts.csv` in `folder`, replaced if there."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics, forecasts = folder / "metrics.csv", folder / "forecasts.csv"
    evaluation.metrics.to_csv(metrics, index=False)
    evaluation.forecasts.to_csv(forecasts, index=False, date_format="%Y-%m-%d")
    return metrics, forecasts


def _file_source(path: Path) -> TableSource:
    if not path.is_file():
        raise ShelfcastError(f"actuals file {path} does not exist", hint="check the path")
    suffix = path.name.lower().removesuffix(".gz").rsplit(".", 1)[-1]
    return TableSource(files=str(path.resolve()), format="parquet" if suffix in ("parquet", "pq") else "csv")


def _horizon_dates(
    sales: PeriodSales,
    truth: PeriodSales,
    cutoff: dt.date,
    horizon: int,
    step: int,
    unit: str,
    separate: bool,
) -> pd.DatetimeIndex:
    """The dates of the `horizon` periods after the cutoff; a cutoff the data cannot be cut at, or actuals
    that do not reach the horizon, are errors."""
    first, last = (sales.rows["date"].min().date(), sales.rows["date"].max().date())
    minimum = periods(MIN_TRAINING_DAYS, step)
    seen = (cutoff - first).days // step + 1
    if cutoff < first or seen < minimum:
        raise ShelfcastError(
            f"--cutoff {cutoff} leaves {max(seen, 0)} {unit}s of {sales.files} (from {first}) to fit on",
            hint=f"choose a cutoff on or after {first + dt.timedelta(days=(minimum - 1) * step)} "
            f"({minimum} {unit}s)",
        )
    if cutoff > last:
        raise ShelfcastError(
            f"--cutoff {cutoff} is after the last date of {sales.files} ({last})",
            hint=f"choose a cutoff on or before {last}",
        )
    if cutoff == last and not separate:
        raise ShelfcastError(
            f"--cutoff {cutoff} is the last date of {sales.files}: nothing after it to score",
            hint="choose an earlier cutoff, or score against --actuals FILE",
        )
    dates = pd.date_range(first + dt.timedelta(days=seen * step), periods=horizon, freq=f"{step}D")
    truth_dates = truth.rows.loc[~truth.rows["closed"], "date"]
    reach = truth_dates.max() if len(truth_dates) else pd.NaT
    if pd.isna(reach) or reach < dates[-1]:
        covered = 0 if pd.isna(reach) else max(0, int((reach - dates[0]).days // step + 1))
        ends = "has no rows" if pd.isna(reach) else f"ends on {reach.date()}"
        raise ShelfcastError(
            f"{truth.files} {ends}, {covered} {unit}s after the cutoff {cutoff}: --horizon {horizon} needs "
            f"{unit}s up to {dates[-1].date()}",
            hint=f"evaluate --horizon {covered} or less" if covered else "give actuals after the cutoff",
        )
    return dates


def _scored_rows(
    truth: PeriodSales,
    dates: pd.DatetimeIndex,
    keys: pd.DataFrame,
    panel: Panel,
    weighting: Weighting | None,
    one_row_per_period: bool,
) -> tuple[pd.DataFrame, list[str]]:
    """The actuals' (series, period) rows in the horizon, with each series' seasonal-naive scale and the
    row's weight. Rows on a date that is not a period of the horizon, or repeated where the grain has one
    row per series and period, are errors."""
    rows = truth.rows
    inside = rows[(rows["date"] >= dates[0]) & (rows["date"] <= dates[-1])]
    off_grain = inside[~inside["date"].isin(dates)]
    if len(off_grain):
        example = off_grain["date"].iloc[0].date()
        raise ShelfcastError(
            f"{truth.files}: {len(off_grain):,} rows in the horizon are dated between its periods, e.g. "
            f"{example}; the periods are {dates[0].date()}, {dates[1].date() if len(dates) > 1 else ''} …",
            hint="date every row as the mapping's data is dated (week.anchor and week.label)",
        )
    repeated = inside[inside["rows"] > 1] if one_row_per_period else inside.iloc[:0]
    if len(repeated):
        first = repeated.iloc[0]
        example = ", ".join(f"{key}={first[key]}" for key in truth.keys)
        raise ShelfcastError(
            f"{truth.files}: {len(repeated):,} (series, period) keys in the horizon occur on more than one "
            f"row, e.g. {example} on {first['date'].date()}",
            hint="one row per series and period, as the mapping's grain says",
        )
    scored = inside[~inside["closed"] & inside["sales"].notna()]
    if scored.empty:
        raise ShelfcastError(
            f"{truth.files} has no rows in the horizon {dates[0].date()} … {dates[-1].date()}",
            hint="score against actuals that cover the periods after the cutoff",
        )
    scale = pd.Series(seasonal_naive_scale(panel.units, panel.season), name="scale")
    known = keys[truth.keys].assign(scale=scale.to_numpy())
    scored = scored.merge(known, on=truth.keys, how="left")
    scored["series"] = scored.groupby(truth.keys, sort=False).ngroup()
    if weighting is not None:
        scored["weight"] = np.where(scored["flag"], weighting.factor, 1.0)
    unknown = int(scored["scale"].isna().groupby(scored["series"]).first().sum())
    notes = []
    if unknown:
        notes.append(
            f"{unknown:,} scored series have no sales up to the cutoff: every model forecasts them 0 "
            "(they have no seasonal-naive scale, so no MASE)"
        )
    return scored, notes


def _metrics(
    rows: pd.DataFrame,
    forecasts: pd.DataFrame,
    key_columns: list[str],
    seconds: dict[str, float],
) -> pd.DataFrame:
    """Per model and statistic (pooled, mean and median over series): the scores of the scored rows."""
    tables = []
    for name, forecast in forecasts.groupby("model", sort=False):
        joined = rows.merge(
            forecast[[*key_columns, "date", "forecast"]], on=[*key_columns, "date"], how="left"
        )
        # a series with no sales before the cutoff is not in the panel: no model forecasts it any demand
        joined = joined.assign(actual=joined["sales"], forecast=joined["forecast"].fillna(0.0))
        scores = evaluation_scores(joined)
        scores.insert(0, "model", name)
        scores["rows"] = len(joined)
        scores["series"] = joined["series"].nunique()
        scores["seconds"] = seconds[str(name)]
        tables.append(scores)
    return pd.concat(tables, ignore_index=True)
