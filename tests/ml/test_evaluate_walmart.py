"""Issue 9's acceptance run of `shelfcast evaluate`: Walmart Recruiting (the shared data set, through the
shipped mapping) from the cutoff 2012-02-03, 38 weeks ahead, every default model. The metrics it prints
and stores equal an independent computation from the forecasts CSV it writes and train.csv."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from shelfcast.config import DEFAULT_FORECAST_MODELS
from tests.ml.independent_scores import Scoring, expected_metrics
from tests.synthetic.test_cli import run_cli

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("RETAIL_DATA") or ROOT.parent / "shared" / "data")
TRAIN = SHARED_DATA / "walmart_recruiting" / "train.csv"
CUTOFF = dt.date(2012, 2, 3)
HORIZON = 38
SCORING = Scoring(
    keys=["Store", "Dept"],
    date="Date",
    value="Weekly_Sales",
    flag="IsHoliday",
    factor=5.0,
    cutoff=CUTOFF,
    horizon=HORIZON,
)
METRICS = ["mae", "rmse", "mase", "wape", "rmspe", "wmae"]

pytestmark = [
    pytest.mark.extended,
    pytest.mark.slow,
    pytest.mark.skipif(
        not TRAIN.is_file(), reason=f"Walmart Recruiting is not in {SHARED_DATA} (set RETAIL_DATA)"
    ),
]


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    data_dir = tmp_path_factory.mktemp("walmart_evaluate")
    result = run_cli(
        "evaluate",
        "--dataset",
        str(ROOT / "ingestion" / "mapping" / "examples" / "walmart_recruiting.yml"),
        "--cutoff",
        CUTOFF.isoformat(),
        "--horizon",
        str(HORIZON),
        "--weight-column",
        "IsHoliday",
        "--no-track",
        env={"RETAIL_DATA": str(SHARED_DATA), "SHELFCAST_DATA_DIR": str(data_dir)},
        timeout=1500,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout, data_dir / "evaluate" / "walmart_recruiting" / CUTOFF.isoformat()


def test_every_model_forecasts_every_series_seen_for_38_weeks(evaluated: tuple[str, Path]) -> None:
    _, out = evaluated
    forecasts = pd.read_csv(out / "forecasts.csv", dtype={"Store": str, "Dept": str}, parse_dates=["date"])
    train = pd.read_csv(TRAIN, dtype={"Store": str, "Dept": str}, parse_dates=["Date"])
    seen = train[train["Date"] <= pd.Timestamp(CUTOFF)].groupby(["Store", "Dept"]).ngroups
    assert list(forecasts["model"].unique()) == list(DEFAULT_FORECAST_MODELS)
    assert len(forecasts) == seen * HORIZON * len(DEFAULT_FORECAST_MODELS)
    fridays = pd.date_range(pd.Timestamp(CUTOFF) + pd.Timedelta(weeks=1), periods=HORIZON, freq="7D")
    assert (np.sort(forecasts["date"].unique()) == fridays.to_numpy()).all()
    assert fridays[-1] == train["Date"].max()  # the horizon runs to the last week of the data
    assert forecasts["forecast"].notna().all() and (forecasts["forecast"] >= 0).all()


def test_printed_and_stored_metrics_equal_an_independent_computation(evaluated: tuple[str, Path]) -> None:
    stdout, out = evaluated
    forecasts = pd.read_csv(out / "forecasts.csv", dtype={"Store": str, "Dept": str}, parse_dates=["date"])
    train = pd.read_csv(TRAIN, dtype={"Store": str, "Dept": str})
    expected = expected_metrics(train, forecasts, SCORING)
    stored = pd.read_csv(out / "metrics.csv")
    assert stored[["model", "statistic"]].equals(expected[["model", "statistic"]])
    assert np.allclose(stored[METRICS].to_numpy(float), expected[METRICS].to_numpy(float), rtol=1e-9)
    window = train[(train["Date"] > CUTOFF.isoformat())]
    assert (stored["rows"] == len(window)).all()
    assert (stored["series"] == window.groupby(["Store", "Dept"]).ngroups).all()

    pooled = expected[expected["statistic"] == "pooled"].set_index("model")
    lines = stdout.splitlines()
    title = next(i for i, line in enumerate(lines) if "pooled over the rows" in line)
    table = lines[title : next(i for i, line in enumerate(lines) if "mean over series" in line)]
    printed = {line.split()[0]: line.split()[1:] for line in table if line.split()[:1] != []}
    for model in DEFAULT_FORECAST_MODELS:
        for metric, text in zip(METRICS, printed[model][: len(METRICS)], strict=True):
            value = pooled.loc[model, metric]
            rounding = 0.051 if value >= 100 else 0.00051  # printed: one decimal from 100 up, three below
            assert float(text.replace(",", "")) == pytest.approx(value, abs=rounding)
