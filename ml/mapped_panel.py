"""A mapped dataset's sales (`ingestion.mapping.periods`) as the forecasting panel, up to a cutoff: one
series per store × product (or per the mapping's series keys), one column per period of the data's grain;
and its regressors with a role as the panel's known-ahead covariates."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd

from ingestion.mapping.periods import PeriodSales, RegressorValues
from ingestion.mapping.schema import Mapping
from ml.panel import KNOWN_AHEAD, SERIES_KEYS, Panel, panel_from_frame, zero_when_missing


def series_codes(rows: pd.DataFrame, keys: list[str], mapping: Mapping) -> pd.DataFrame:
    """The panel's `store_code` and `product_code` of each row. Without a store the dataset is one store
    named after it; with `series` columns the first is the store level and the rest, joined by `|`, the
    product (as ingestion names them)."""
    text = rows[keys].astype(str)
    if mapping.columns.store is None and mapping.columns.series is None:
        store, product_keys = pd.Series(mapping.name, index=rows.index), keys
    else:
        store, product_keys = text[keys[0]], keys[1:]
    if product_keys:
        first, *rest = product_keys
        product = text[first].str.cat([text[key] for key in rest], sep="|") if rest else text[first]
    else:
        product = pd.Series("", index=rows.index)
    return pd.DataFrame({"store_code": store, "product_code": product}, index=rows.index)


def history_panel(sales: PeriodSales, mapping: Mapping, cutoff: dt.date) -> tuple[Panel, pd.DataFrame]:
    """The panel of every series with sales up to and including `cutoff`, its last period the cutoff's,
    and the series' own key columns (as the source names them), one row per panel series in its order.

    Net sales below zero count as no demand (`panel_from_frame`). With `missing_days: zero` a period
    without a row after a series' first is 0; a period a row marks closed is unknown (NaN) either way.
    Region and category are the mapped ones; missing, the store and the product stand in for them (the
    finest level the data has, as `benchmarks/forecast_walmart.py` uses the department as category)."""
    rows = sales.rows[sales.rows["date"] <= pd.Timestamp(cutoff)]
    codes = series_codes(rows, sales.keys, mapping)
    region = rows["region"].fillna("") if "region" in rows else codes["store_code"]
    category = rows["category"].fillna("") if "category" in rows else codes["product_code"]
    frame = codes.assign(
        region_code=region,
        category=category,
        date_day=rows["date"],
        units=rows["sales"].where(~rows["closed"]),
        **dict.fromkeys(KNOWN_AHEAD, 0.0),
    )
    panel = panel_from_frame(frame, period_days=mapping.step_days)
    origin = (cutoff - panel.start).days // panel.period_days + 1
    units = np.full((len(panel.series), origin), np.nan)
    units[:, : panel.days] = panel.units
    if mapping.missing_days == "zero":
        units = zero_when_missing(units)
    row = panel.series[list(SERIES_KEYS)].reset_index(names="row")
    closed = frame[rows["closed"].to_numpy()].merge(row, on=list(SERIES_KEYS))
    column = (closed["date_day"] - pd.Timestamp(panel.start)).dt.days // panel.period_days
    units[closed["row"].to_numpy(), column.to_numpy()] = np.nan
    # by position: a source key column may itself be called store_code
    unique = codes.drop_duplicates()
    where = pd.MultiIndex.from_frame(unique).get_indexer(pd.MultiIndex.from_frame(row[list(SERIES_KEYS)]))
    keys = rows.loc[unique.index[where], sales.keys].reset_index(drop=True)
    return dataclasses.replace(panel, units=units), keys


def known_ahead(
    panel: Panel, keys: pd.DataFrame, regressors: list[RegressorValues], periods: int
) -> dict[str, np.ndarray]:
    """The regressors' values per panel series and period over `periods` periods from the panel's start,
    for `ml.panel.with_known_ahead`: a calendar (no keys) for every series, the others for the series their
    keys match. A date between two periods of the grain is not a period and is left out."""
    values: dict[str, np.ndarray] = {}
    start = pd.Timestamp(panel.start)
    for item in regressors:
        rows = item.rows.dropna(subset=["value"])
        offset = (rows["date"] - start).dt.days
        column = offset // panel.period_days
        inside = (offset % panel.period_days == 0) & (column >= 0) & (column < periods)
        rows = rows[inside].assign(column=column[inside])
        array = values.setdefault(item.covariate, np.zeros((len(panel.series), periods)))
        if not item.keys:
            array[:, rows["column"].to_numpy()] = rows["value"].to_numpy()
            continue
        matched = rows.merge(keys[item.keys].reset_index(names="row"), on=item.keys)
        array[matched["row"].to_numpy(), matched["column"].to_numpy()] = matched["value"].to_numpy()
    return values
