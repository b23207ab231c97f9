"""A global LightGBM model over every series: trained on rows of several past origins, each row a series,
an origin and a step ahead, with features that read only before its origin (`features.design`).

Tweedie loss suits daily store × product demand: mostly zeros, a long right tail, never negative."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ml.models import History, finite_non_negative, without_history
from ml.models.features import CATEGORICAL, design

FULL_ROWS = 500_000  # training rows below which nothing is sampled away


@dataclass
class GlobalGradientBoosting:
    recent_origins: int = 4  # past origins, a week apart, whose next `horizon` days train the model
    last_year_origins: int = 5  # and origins a week apart around the same date a year before: the season
    sample: float = 0.25  # share of training rows kept (seeded, unbiased): 2 M rows at scale s
    rounds: int = 150
    seed: int = 42
    threads: int = 2
    params: dict[str, object] = field(default_factory=dict)
    last_importance: pd.Series | None = None  # gain per feature of the last fit
    last_booster: object | None = field(default=None, repr=False)
    last_rows: pd.DataFrame | None = field(default=None, repr=False)  # the last fit's prediction rows

    def shap_importance(self, rows: int = 2_000) -> pd.Series | None:
        """Mean |SHAP value| per feature over a seeded sample of the last forecast's rows: how much each
        feature moved the forecasts themselves (gain says how much it helped the training loss)."""
        if self.last_booster is None or self.last_rows is None or self.last_rows.empty:
            return None
        import shap

        sample = self.last_rows.sample(n=min(rows, len(self.last_rows)), random_state=self.seed)
        values = np.asarray(shap.TreeExplainer(self.last_booster).shap_values(sample))
        return pd.Series(np.abs(values).mean(axis=0), index=sample.columns)

    def training_origins(self, history: History) -> list[int]:
        """Origins whose whole horizon ends before the forecast origin, with 28 days of history."""
        last = history.origin - history.horizon
        recent = [last - 7 * back for back in range(self.recent_origins)]
        middle = self.last_year_origins // 2
        year_ago = [last - 364 + history.horizon + 7 * (j - middle) for j in range(self.last_year_origins)]
        return sorted({o for o in recent + year_ago if 28 <= o <= last})

    def __call__(self, history: History) -> np.ndarray:
        import lightgbm as lgb

        frames, targets = [], []
        rng = np.random.default_rng(self.seed)
        origins = self.training_origins(history)
        candidates = len(origins) * history.units.shape[0] * history.horizon
        # small panels keep every row; large ones a seeded uniform sample (unbiased, and far faster)
        share = max(self.sample, min(1.0, FULL_ROWS / max(candidates, 1)))
        for origin in origins:
            rows = design(history, history.units, origin)
            target = history.units[:, origin : origin + history.horizon].reshape(-1)
            # a series that did not exist yet has nothing to learn from
            keep = ~np.isnan(target) & (rng.random(target.size) < share)
            frames.append(rows[keep])
            targets.append(target[keep])
        prediction_rows = design(history, history.units, history.origin)
        if not frames:  # too little history for any training origin: fall back on the recent level
            return finite_non_negative(prediction_rows["mean_28"].to_numpy().reshape(-1, history.horizon))
        train = pd.concat(frames, ignore_index=True)
        params = {
            "objective": "tweedie",
            "tweedie_variance_power": 1.2,
            "learning_rate": 0.1,
            "num_leaves": 31,
            "min_data_in_leaf": int(np.clip(len(train) // 5_000, 20, 200)),
            "max_bin": 63,
            "feature_fraction": 0.9,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "seed": self.seed,
            "deterministic": True,
            "force_row_wise": True,
            "num_threads": self.threads,
            "verbose": -1,
        } | self.params
        dataset = lgb.Dataset(train, np.concatenate(targets), categorical_feature=list(CATEGORICAL))
        booster = lgb.train(params, dataset, num_boost_round=self.rounds)
        self.last_importance = pd.Series(
            booster.feature_importance("gain"), index=booster.feature_name()
        ).sort_values(ascending=False)
        self.last_booster, self.last_rows = booster, prediction_rows
        predicted = np.asarray(booster.predict(prediction_rows)).reshape(-1, history.horizon)
        predicted[without_history(history)] = 0.0
        return finite_non_negative(predicted)
