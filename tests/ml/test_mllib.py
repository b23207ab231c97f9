"""The Spark MLlib pipeline on a small panel in the session's local Spark: tuned by CrossValidator on
time-ordered folds, forecasts finite and non-negative, nothing read after the origin."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ml.backtest import history_at
from ml.models.features import FEATURES
from ml.models.mllib import SparkPipelineModel
from tests.ml.synthetic_panel import weekly_panel

pytestmark = [pytest.mark.slow, pytest.mark.spark]

HORIZON = 14


@pytest.fixture(scope="module")
def panel():
    return weekly_panel(series=16, days=420)


def test_training_folds_are_consecutive_blocks_of_origins(spark, panel) -> None:
    model = SparkPipelineModel(spark=lambda: spark)
    rows = model._training_rows(history_at(panel, panel.days - HORIZON, HORIZON))
    assert set(rows["fold"]) == {0, 1, 2}
    # a later origin never falls in an earlier fold: the folds are blocks of time
    by_fold = rows.groupby("fold")["origin"].agg(["min", "max"])
    assert (by_fold["max"].shift(1).dropna().to_numpy() <= by_fold["min"].iloc[1:].to_numpy() + 1e-9).all()


def test_the_pipeline_is_tuned_once_and_forecasts_without_reading_past_the_origin(spark, panel) -> None:
    model = SparkPipelineModel(spark=lambda: spark)
    origin = panel.days - HORIZON
    forecast = model(history_at(panel, origin, HORIZON))
    assert forecast.shape == (len(panel.series), HORIZON)
    assert np.isfinite(forecast).all() and (forecast >= 0).all()
    assert len(model.cv_scores) == 6 and model.chosen is not None
    assert set(model.last_importance.index) <= set(FEATURES)
    chosen = dict(model.chosen)

    scrambled = panel.units.copy()
    scrambled[:, origin:] = np.random.default_rng(1).poisson(50, scrambled[:, origin:].shape)
    leaked = type(panel)(panel.series, panel.start, scrambled, panel.known)
    again = model(history_at(leaked, origin, HORIZON))
    assert model.chosen == chosen  # tuned at the first origin only
    assert np.allclose(again, forecast)
    # it learnt the weekly profile: better than each series' own 28-day mean (zero before its launch)
    actual = panel.units[:, origin:]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # series launched after the window: no mean
        flat = np.nan_to_num(np.nanmean(panel.units[:, origin - 28 : origin], axis=1, keepdims=True))
    observed = ~np.isnan(actual)
    errors = np.abs(forecast - np.nan_to_num(actual))[observed]
    assert errors.mean() < np.abs(flat - np.nan_to_num(actual))[observed].mean()
