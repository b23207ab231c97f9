"""What a forecast run reads and where it puts what it makes: the shop, or a landed dataset.

The shop's features are `int_sales__features` of the warehouse's own schema, its forecast goes to schema
`ml`, MLflow experiment `shelfcast-forecast` and registered model `shelfcast-sales-forecast`. A dataset
built with `shelfcast transform --dataset` has its features in schema `<name>`, and its forecast goes to
schema `<name>_ml` (where the dataset's dbt sources read it), experiment `shelfcast-forecast-<name>` and
registered model `shelfcast-sales-forecast-<name>`: datasets and the shop never overwrite each other's
forecasts or champions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ml.registry import REGISTERED_MODEL
from ml.tracking import EXPERIMENT


@dataclass(frozen=True)
class ForecastTarget:
    dataset: str = ""  # empty: the shop
    period_days: int = 1  # the data's grain: 1 daily, 7 weekly
    dbt_vars: dict[str, Any] = field(default_factory=dict)  # the dataset's (ingestion/mapping/landed.py)

    @classmethod
    def of_dataset(cls, dbt_vars: dict[str, Any]) -> ForecastTarget:
        return cls(str(dbt_vars["dataset"]), int(dbt_vars["dataset_period_days"]), dict(dbt_vars))

    @property
    def duckdb_schema(self) -> str:
        """Where its features and dimensions are on the embedded warehouse."""
        return self.dataset or "main"

    @property
    def ml_schema(self) -> str:
        return f"{self.dataset}_ml" if self.dataset else "ml"

    @property
    def experiment(self) -> str:
        return f"{EXPERIMENT}-{self.dataset}" if self.dataset else EXPERIMENT

    @property
    def registered_model(self) -> str:
        return f"{REGISTERED_MODEL}-{self.dataset}" if self.dataset else REGISTERED_MODEL

    @property
    def period_name(self) -> str:
        return (
            "day"
            if self.period_days == 1
            else ("week" if self.period_days == 7 else f"{self.period_days}-day period")
        )


SHOP = ForecastTarget()
