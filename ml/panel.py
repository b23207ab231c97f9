"""The sales history as a panel: one row per series (store × product), one column per period (a day, or
a week for data recorded weekly).

Forecasting code works on this dense matrix rather than on long tables: every baseline, feature and
metric is a vectorised operation over all series at once, which is what keeps a backtest of every scale-s
series within a couple of minutes on two cores.

Windows are defined in days and converted to the panel's periods (`periods`): a 28-day mean is the mean of
four weeks on weekly data, the 364-day lag is 52 weeks. The season the baselines, MASE and the
statistical models use follows the grain: the week for daily data, the year (52 weeks) for weekly data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

SERIES_KEYS = ("store_code", "product_code")
ATTRIBUTES = ("region_code", "category")
KNOWN_AHEAD = ("is_promoted", "promo_discount_pct", "is_holiday")  # known for future days too
GRAINS = {"day": 1, "week": 7}  # grain -> days per period


def periods(days: int, period_days: int = 1) -> int:
    """A window of `days` in periods of `period_days` days (at least one period)."""
    return max(1, round(days / period_days))


def season_of(period_days: int = 1) -> int:
    """Periods per season: the week for daily data, the 52-week year for weekly data."""
    return 7 if period_days == 1 else periods(364, period_days)


@dataclass(frozen=True)
class Panel:
    """Units per series and period. `units` is NaN before a series' first sale (it did not exist yet) and
    0 in a period without sales after it. Known-ahead covariates share the shape of `units`."""

    series: pd.DataFrame  # SERIES_KEYS + ATTRIBUTES, one row per series, in matrix row order
    start: dt.date  # the first period's date (its first day, or the date a weekly export labels it with)
    units: np.ndarray  # float64 [series, period]
    known: dict[str, np.ndarray]  # KNOWN_AHEAD name -> float64 [series, period]
    period_days: int = 1  # 1: daily panel, 7: weekly

    @property
    def days(self) -> int:
        """Periods in the panel: days on a daily panel, weeks on a weekly one."""
        return self.units.shape[1]

    @property
    def season(self) -> int:
        return season_of(self.period_days)

    def day_index(self, day: dt.date) -> int:
        return (day - self.start).days // self.period_days

    def date_of(self, index: int) -> dt.date:
        return self.start + dt.timedelta(days=index * self.period_days)

    def dates(self, first: int, count: int) -> pd.DatetimeIndex:
        return pd.date_range(self.date_of(first), periods=count, freq=f"{self.period_days}D")


def panel_from_frame(frame: pd.DataFrame, period_days: int = 1) -> Panel:
    """A panel from long rows (one per series and period, as `int_sales__features` has them per day).

    Net units below zero (more returns than sales in a period) count as no demand: the forecast is of what
    customers take off the shelf. A weekly frame's dates must be a whole number of weeks apart."""
    if frame.empty:
        raise ValueError("no sales history: the feature table is empty")
    days = pd.to_datetime(frame["date_day"]).to_numpy(dtype="datetime64[D]")
    first, last = days.min(), days.max()
    start = first.astype(dt.date)
    offsets = (days - first).astype(int)
    if period_days > 1 and (offsets % period_days).any():
        raise ValueError(f"dates are not all a whole number of {period_days}-day periods after {start}")
    # series in code order whatever order the warehouse returned the rows in: the same data gives the
    # same matrix, and so the same seeded sample and model, on every engine and every run
    keys = frame[list(SERIES_KEYS)].astype("category")
    for column in SERIES_KEYS:
        keys[column] = keys[column].cat.reorder_categories(sorted(keys[column].cat.categories))
    row = keys.groupby(list(SERIES_KEYS), observed=True, sort=True).ngroup().to_numpy()
    series = (
        frame[[*SERIES_KEYS, *ATTRIBUTES]]
        .assign(_row=row)
        .drop_duplicates("_row")
        .sort_values("_row")
        .drop(columns="_row")
        .astype(str)
        .reset_index(drop=True)
    )
    column = offsets // period_days
    shape = (len(series), int((last - first).astype(int)) // period_days + 1)
    units = np.full(shape, np.nan)
    units[row, column] = np.maximum(frame["units"].to_numpy(dtype=float), 0.0)
    known = {}
    for name in KNOWN_AHEAD:
        values = np.zeros(shape)
        values[row, column] = frame[name].fillna(0).to_numpy(dtype=float)
        known[name] = values
    return Panel(series=series, start=start, units=units, known=known, period_days=period_days)


def zero_when_missing(units: np.ndarray) -> np.ndarray:
    """Units with every period after a series' first one that has no value read as a period without sales
    (0): an export leaves out the periods a product sold nothing. Before its first, a series stays absent."""
    observed = ~np.isnan(units)
    started = np.maximum.accumulate(observed, axis=1)
    return np.where(started & ~observed, 0.0, units)


def with_known_ahead(panel: Panel, periods: int, values: dict[str, np.ndarray]) -> Panel:
    """The panel with its known-ahead covariates over `periods` periods from its start, which may reach
    past its last period (holidays are in the calendar, promotions are planned). A value is per period
    (the same for every series) or per series and period; a covariate not given is 0."""
    known = {}
    for name in KNOWN_AHEAD:
        array = np.zeros((len(panel.series), periods))
        if name in values:
            array[:] = values[name]
        known[name] = array
    return replace(panel, known=known)


def with_future_known(panel: Panel, horizon: int, values: dict[str, np.ndarray]) -> Panel:
    """The panel with its known-ahead covariates reaching `horizon` periods past its last, for the final
    forecast: a covariate named in `values` takes them (one per future period, the same for every series:
    the calendar's holidays), the others read 0 there (no promotion planned). The backtest never reads
    these: its horizons end within the history, where the covariates are what happened."""
    known = {}
    for name, history in panel.known.items():
        future = np.zeros((history.shape[0], horizon))
        if name in values:
            future[:] = values[name]
        known[name] = np.concatenate([history[:, : panel.days], future], axis=1)
    return replace(panel, known=known)


# Levels forecasts are chosen and reported at: the series themselves, then sums per store, region,
# category and in total (a planner's store view, a regional manager's, a buyer's, the board's).
LEVELS = ("series", "store_code", "region_code", "category", "total")


def group_codes(panel: Panel, level: str) -> tuple[np.ndarray, list[str]]:
    """Each series' group at `level` (an index into the returned group names, which are sorted)."""
    if level == "series":
        return np.arange(len(panel.series)), series_keys(panel.series)
    if level == "total":
        return np.zeros(len(panel.series), dtype=int), ["total"]
    codes, names = pd.factorize(panel.series[level].fillna("?"), sort=True)
    return codes, [str(n) for n in names]


def series_keys(series: pd.DataFrame) -> list[str]:
    """The `level_key` of series-level rows: store and product code."""
    return (series["store_code"].astype(str) + "|" + series["product_code"].astype(str)).tolist()


def sum_by_group(codes: np.ndarray, groups: int, values: np.ndarray) -> np.ndarray:
    """Rows of `values` summed per group; a group whose members are all NaN on a day stays NaN (none of
    them existed yet), otherwise missing members count as zero."""
    out = np.zeros((groups, values.shape[1]))
    np.add.at(out, codes, np.nan_to_num(values))
    present = np.zeros((groups, values.shape[1]), dtype=bool)
    np.logical_or.at(present, codes, ~np.isnan(values))
    return np.where(present, out, np.nan)


def aggregate(panel: Panel, level: str) -> Panel:
    """The panel summed to `level`: one series per store, region, category or the total. Known-ahead
    covariates become the share of member series promoted, their mean discount, and whether the day is a
    holiday anywhere in the group."""
    if level == "series":
        return panel
    codes, names = group_codes(panel, level)
    groups = len(names)
    members = np.bincount(codes, minlength=groups)[:, None].astype(float)
    known = {}
    for name, values in panel.known.items():
        if name == "is_holiday":
            peak = np.zeros((groups, values.shape[1]))
            np.maximum.at(peak, codes, values)
            known[name] = peak
        else:
            total = np.zeros((groups, values.shape[1]))
            np.add.at(total, codes, values)
            known[name] = total / members
    series = pd.DataFrame({"level": level, "level_key": names})
    units = sum_by_group(codes, groups, panel.units)
    return Panel(series=series, start=panel.start, units=units, known=known, period_days=panel.period_days)
