"""A Spark MLlib pipeline on the same origin-relative features as LightGBM: VectorAssembler → StandardScaler
→ UnivariateFeatureSelector (F-test, top k) → GBTRegressor, RandomForestRegressor or LinearRegression.

The estimator and k are tuned with CrossValidator + ParamGridBuilder on time-ordered folds: the training
origins are split into consecutive blocks of time, one fold each (`foldCol`), so a fold is validated on
whole weeks rather than on rows scattered through every week. Tuning happens once, at the first origin
the model is asked for (the earliest backtest cutoff, so only data before it is seen); later origins
refit the chosen pipeline. Everything runs in Spark, so on a cluster (`spark_master = yarn`) the same code
trains on the executors.

Series without history forecast zero; predictions are clipped at zero (the trees and the linear model
have no non-negative loss)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ml.models import History, finite_non_negative, without_history
from ml.models.features import FEATURES, design, origin_rows
from ml.models.gradient_boosting import GlobalGradientBoosting


@dataclass
class SparkPipelineModel:
    spark: Callable[[], Any]  # the session factory: created only when the model first runs
    max_training_rows: int = 200_000  # a seeded sample above this: Spark trees are far slower than LightGBM
    folds: int = 3
    seed: int = 42
    chosen: dict[str, object] | None = None  # the tuned choice: estimator name and k
    last_importance: pd.Series | None = field(default=None, repr=False)
    cv_scores: dict[str, float] = field(default_factory=dict)  # mean validation RMSE per param map

    def __call__(self, history: History) -> np.ndarray:
        spark = self.spark()
        training = self._training_rows(history)
        prediction_rows = design(history, history.units, history.origin)
        if training.empty:
            return finite_non_negative(prediction_rows["mean_28"].to_numpy().reshape(-1, history.horizon))
        frame = spark.createDataFrame(_clean(training))
        if self.chosen is None:
            self.chosen = self._tune(frame)
        pipeline = _pipeline(str(self.chosen["estimator"]), int(self.chosen["top_k"]), self.seed)
        fitted = pipeline.fit(frame)
        rows = _clean(prediction_rows.assign(row_id=np.arange(len(prediction_rows)), label=0.0, fold=0))
        predicted = fitted.transform(spark.createDataFrame(rows)).select("row_id", "prediction").toPandas()
        values = predicted.sort_values("row_id")["prediction"].to_numpy().reshape(-1, history.horizon)
        self.last_importance = _importance(fitted)
        values[without_history(history)] = 0.0
        return finite_non_negative(values)

    def _training_rows(self, history: History) -> pd.DataFrame:
        """Rows of the same training origins LightGBM uses, each origin's block of time a fold."""
        origins = GlobalGradientBoosting().training_origins(history)
        rng = np.random.default_rng(self.seed)
        frames = []
        for origin, rows, target in origin_rows(history, origins):
            rows["label"] = target
            rows["origin"] = origin
            frames.append(rows[~np.isnan(target)])
        if not frames:
            return pd.DataFrame()
        training = pd.concat(frames, ignore_index=True)
        if len(training) > self.max_training_rows:
            keep = rng.choice(len(training), self.max_training_rows, replace=False)
            training = training.iloc[np.sort(keep)]
        ranks = training["origin"].rank(method="dense").to_numpy() - 1
        blocks = max(1, int(ranks.max()) + 1)
        training["fold"] = np.minimum((ranks * self.folds // blocks).astype(int), self.folds - 1)
        return training.reset_index(drop=True)

    def _tune(self, frame: Any) -> dict[str, object]:
        from pyspark.ml.evaluation import RegressionEvaluator
        from pyspark.ml.tuning import CrossValidator, ParamGridBuilder

        candidates = [(name, k) for name in ("gbt", "random_forest", "linear") for k in (10, len(FEATURES))]
        pipeline = _pipeline("gbt", len(FEATURES), self.seed)
        grid = (
            ParamGridBuilder()
            .addGrid(
                pipeline.stages,
                [_pipeline(name, k, self.seed).getStages() for name, k in candidates],
            )
            .build()
        )
        folds = frame.select("fold").distinct().count()
        if folds < 2:  # too few origins to validate on: the default pipeline
            return {"estimator": "gbt", "top_k": len(FEATURES)}
        validator = CrossValidator(
            estimator=pipeline,
            estimatorParamMaps=grid,
            evaluator=RegressionEvaluator(metricName="rmse"),
            foldCol="fold",
            seed=self.seed,
        )
        model = validator.fit(frame)
        scores = zip(candidates, model.avgMetrics, strict=True)
        self.cv_scores = {f"{name}/top{k}": float(score) for (name, k), score in scores}
        best = int(np.argmin(model.avgMetrics))
        return {"estimator": candidates[best][0], "top_k": candidates[best][1]}


def _pipeline(estimator: str, top_k: int, seed: int) -> Any:
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import StandardScaler, UnivariateFeatureSelector, VectorAssembler
    from pyspark.ml.regression import GBTRegressor, LinearRegression, RandomForestRegressor

    assembler = VectorAssembler(inputCols=list(FEATURES), outputCol="raw_features")
    scaler = StandardScaler(inputCol="raw_features", outputCol="scaled_features", withMean=True)
    selector = UnivariateFeatureSelector(
        featuresCol="scaled_features", outputCol="features", labelCol="label", selectionMode="numTopFeatures"
    )
    selector.setFeatureType("continuous").setLabelType("continuous").setSelectionThreshold(top_k)
    regressors = {
        "gbt": lambda: GBTRegressor(maxIter=30, maxDepth=5, stepSize=0.1, seed=seed),
        "random_forest": lambda: RandomForestRegressor(numTrees=40, maxDepth=8, seed=seed),
        "linear": lambda: LinearRegression(regParam=0.01, elasticNetParam=0.0),
    }
    return Pipeline(stages=[assembler, scaler, selector, regressors[estimator]()])


def _clean(rows: pd.DataFrame) -> pd.DataFrame:
    """Spark's vectors reject NaN: an unknown lag (before a series existed) becomes 0, as for a series
    that sold nothing; `age_days` and `days_since_last_sale` tell the model which it was."""
    columns = [*FEATURES, "label", "fold", *(["row_id"] if "row_id" in rows else [])]
    return rows[columns].astype("float64").fillna(0.0).astype({"fold": "int32"})


def _importance(fitted: Any) -> pd.Series | None:
    """featureImportances of a tree model (absolute coefficients of the linear one), mapped back through
    the selector to feature names."""
    selector, regressor = fitted.stages[2], fitted.stages[3]
    selected = [FEATURES[i] for i in selector.selectedFeatures]
    if hasattr(regressor, "featureImportances"):
        weights = regressor.featureImportances.toArray()
    else:
        weights = np.abs(regressor.coefficients.toArray())
    return pd.Series(weights, index=selected).sort_values(ascending=False)
