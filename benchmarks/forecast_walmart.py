"""Forecast accuracy on real data: Walmart's weekly department sales (../shared/data/walmart_recruiting).

    .venv/bin/python benchmarks/forecast_walmart.py [--data DIR] [--horizon 13]
        [--holdout 2012-08-03 2011-11-04] [--models naive,seasonal_naive,...]

Per holdout window the models see only the weeks before it: the store × department panel at weekly grain,
with the competition's holiday flag as a known-ahead covariate (it is known for future weeks). The same
backtest `shelfcast forecast` runs (3 rolling cutoffs before the window, every model at the series level)
chooses the default model and calibrates its intervals; every model is then refitted on all the weeks
before the window and forecasts it. Scored as the Kaggle competition scored: WMAE, weight 5 on holiday
weeks, over the (store, department, week) rows train.csv has in the window, against the sales as published
(returns can make them negative; forecasts never are). The default windows: the last 13 weeks of the data,
and the holiday quarter of 2011 (Thanksgiving and Christmas). Figures go to stdout as TSV.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.evaluate import final_forecasts, forecast_frame
from ml.forecast import default_models, forecast
from ml.metrics import weighted_mae
from ml.panel import Panel, panel_from_frame, with_known_ahead, zero_when_missing

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "walmart_recruiting"
MODELS = ("naive", "seasonal_naive", "moving_average_28", "lightgbm", "ets", "theta")
HOLIDAY_WEIGHT = 5.0
KEYS = ["Store", "Dept", "Date"]
REFERENCES = ("seasonal_naive", "ets")
NOMINAL = {"coverage_80": 0.80, "coverage_95": 0.95}


def load(data: Path) -> tuple[pd.DataFrame, Panel]:
    """train.csv as published, and its store × department panel over every week of features.csv.

    Store type (A/B/C) stands in for the region and the department for the category, so the roll-ups are
    per store, store type, department and in total. A week a department has no row after its first sale
    is a week without sales (0), the competition's own reading."""
    train = pd.read_csv(data / "train.csv", dtype={"Store": str, "Dept": str}, parse_dates=["Date"])
    weeks = pd.read_csv(data / "features.csv", usecols=["Date", "IsHoliday"], parse_dates=["Date"])
    holiday_weeks = set(weeks.loc[weeks["IsHoliday"], "Date"])
    stores = pd.read_csv(data / "stores.csv", dtype={"Store": str})
    frame = train.merge(stores[["Store", "Type"]], on="Store").rename(
        columns={
            "Store": "store_code",
            "Dept": "product_code",
            "Type": "region_code",
            "Date": "date_day",
            "Weekly_Sales": "units",
        }
    )
    frame["category"] = frame["product_code"]
    frame["is_holiday"] = frame["IsHoliday"].astype(float)
    frame["is_promoted"] = 0.0
    frame["promo_discount_pct"] = 0.0
    panel = panel_from_frame(frame, period_days=7)
    panel = dataclasses.replace(panel, units=zero_when_missing(panel.units))
    every_week = pd.date_range(panel.start, weeks["Date"].max(), freq="7D")
    is_holiday = np.array([day in holiday_weeks for day in every_week], dtype=float)
    return train, with_known_ahead(panel, len(every_week), {"is_holiday": is_holiday})


def before(panel: Panel, first_holdout_week: dt.date) -> Panel:
    """The panel as known before the holdout: its units cut there, known-ahead covariates kept whole."""
    return dataclasses.replace(panel, units=panel.units[:, : panel.day_index(first_holdout_week)])


def wmae(rows: pd.DataFrame, column: str) -> float:
    weights = np.where(rows["IsHoliday"], HOLIDAY_WEIGHT, 1.0)
    return weighted_mae(rows["Weekly_Sales"].to_numpy(), rows[column].to_numpy(), weights)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--horizon", type=int, default=13, help="weeks per holdout window")
    parser.add_argument("--holdout", nargs="+", default=["2012-08-03", "2011-11-04"])
    parser.add_argument("--cutoffs", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS))
    args = parser.parse_args()
    names = tuple(args.models.split(","))
    started = time.perf_counter()
    train, panel = load(args.data)
    took = time.perf_counter() - started
    print(f"loaded {len(train):,} rows, {len(panel.series):,} series in {took:.1f} s", file=sys.stderr)
    print("holdout\tmodel\tWMAE\tvs seasonal naive\tvs ets\tseconds")
    for first in args.holdout:
        first_week = dt.date.fromisoformat(first)
        history = before(panel, first_week)
        models = default_models(names=names)
        started = time.perf_counter()
        run = forecast(
            history,
            horizon=args.horizon,
            models=models,
            cutoffs=args.cutoffs,
            log=lambda line: print(line, file=sys.stderr, flush=True),
            local_max_series=len(panel.series),  # AutoETS and Theta on every series, as the reference
        )
        run_seconds = time.perf_counter() - started
        last = first_week + dt.timedelta(weeks=args.horizon - 1)
        window = train[(train["Date"] >= pd.Timestamp(first_week)) & (train["Date"] <= pd.Timestamp(last))]
        values, seconds = final_forecasts(history, models, args.horizon)
        keys = history.series[["store_code", "product_code"]].set_axis(["Store", "Dept"], axis=1)
        forecasts = forecast_frame(history, keys, values).rename(columns={"date": "Date"})
        wide = forecasts.pivot(index=KEYS, columns="model", values="forecast").reset_index()
        scored = window[["Store", "Dept", "Date", "Weekly_Sales", "IsHoliday"]].merge(
            wide, on=KEYS, how="left"
        )
        published = run.forecast.rename(
            columns={"store_code": "Store", "product_code": "Dept", "forecast_date": "Date"}
        )
        published["Date"] = pd.to_datetime(published["Date"]).astype("datetime64[ns]")
        columns = ["yhat", "yhat_lower_80", "yhat_upper_80", "yhat_lower_95", "yhat_upper_95"]
        scored = scored.merge(published[["Store", "Dept", "Date", *columns]], on=KEYS)
        scored = scored.fillna(0.0)  # a series not launched before the window forecasts nothing
        default = f"default ({run.champion})"
        scores = {name: wmae(scored, name) for name in models} | {default: wmae(scored, "yhat")}
        for name, score in scores.items():
            gains = [f"{1 - score / scores[r]:+.1%}" if r in scores else "" for r in REFERENCES]
            took = run.seconds if name == default else seconds[name]
            print(f"{first}\t{name}\t{score:,.1f}\t{gains[0]}\t{gains[1]}\t{took:.1f}")
        metrics = run.backtest.metrics
        row = metrics[
            (metrics["model"] == run.champion)
            & (metrics["level"] == "series")
            & (metrics["horizon_bucket"] == "all")
        ].iloc[0]
        for column, nominal in NOMINAL.items():
            level = column.split("_")[1]
            inside = (scored["Weekly_Sales"] >= scored[f"yhat_lower_{level}"]) & (
                scored["Weekly_Sales"] <= scored[f"yhat_upper_{level}"]
            )
            print(
                f"{first}\t{column} (nominal {nominal:.0%})\tbacktest last cutoff {row[column]:.1%} "
                f"({row[column] - nominal:+.1%})\tholdout {inside.mean():.1%} "
                f"({inside.mean() - nominal:+.1%})"
            )
        print(f"{first}\t(backtest + final fit, every model)\t{run_seconds:.1f} s\t{len(scored):,} rows")


if __name__ == "__main__":
    main()
