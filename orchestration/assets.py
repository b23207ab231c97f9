"""The pipeline as Dagster assets, keyed so that dbt's lineage joins them: each ingestion source produces the
dbt sources of the same name (`erp`, `pos`, `inventory`, `api`: one asset per lake table), the ingestion
audit produces the `ingestion` sources, the forecast produces the `ml` sources; dagster-dbt turns every
dbt model into an asset between them, in two steps around the forecast (the models it reads, then the
marts on its tables).

Each asset calls the same function as its `shelfcast` command, so a Dagster run and the commands land,
build and forecast identically."""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from ingestion.run import SourceName
from shelfcast.config import Settings
from shelfcast.dbt import FORECAST_MODELS_SELECTOR, lake_root

ML_TABLES = (
    "ml_sales_forecast",
    "ml_sales_forecast_rollup",
    "ml_forecast_accuracy",
    "ml_feature_importance",
    "ml_forecast_components",
)


def source_tables(manifest: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Per dbt source name, its tables: table name -> lake identifier."""
    tables: dict[str, dict[str, str]] = {}
    for node in manifest["sources"].values():
        tables.setdefault(node["source_name"], {})[node["name"]] = node["identifier"]
    return tables


def ingestion_assets(settings: Settings, manifest: dict[str, Any]) -> list[Any]:
    tables = source_tables(manifest)
    return [_ingest_source(settings, source, tables.get(source.value, {})) for source in SourceName]


def _ingest_source(settings: Settings, source: SourceName, tables: dict[str, str]) -> Any:
    by_identifier = {identifier: name for name, identifier in tables.items()}

    @multi_asset(
        name=f"ingest_{source.value}",
        specs=[
            AssetSpec(AssetKey([source.value, name]), group_name="ingestion", kinds={"spark", "delta"})
            for name in tables
        ],
        description=f"`shelfcast ingest --source {source.value}`: the source landed in the lake's clean zone",
    )
    def ingest_source(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        from ingestion.run import ingest
        from shelfcast.spark import get_spark

        started = time.perf_counter()
        report = ingest(get_spark(settings, "shelfcast-run"), settings, [source], None, context.log.info)
        if report.failures:
            raise Failure(
                f"ingest {source.value}: {len(report.failures)} file(s) refused",
                metadata={"failures": MetadataValue.text("\n".join(report.failures[:50]))},
            )
        counts: dict[str, dict[str, int]] = {name: {} for name in tables}
        for publication in report.publications:
            name = by_identifier.get(publication.dataset)
            if name is not None:
                for key, value in publication.totals().items():
                    counts[name][key] = counts[name].get(key, 0) + int(value)
        for name, totals in counts.items():  # a table with nothing new to land is current all the same
            yield MaterializeResult(
                asset_key=AssetKey([source.value, name]),
                metadata={key: MetadataValue.int(value) for key, value in totals.items()},
            )
        context.log.info(f"ingest {source.value}: {time.perf_counter() - started:.1f} s")

    return ingest_source


def audit_assets(settings: Settings, manifest: dict[str, Any]) -> Any:
    tables = source_tables(manifest).get("ingestion", {})
    landed = [
        AssetKey([source, name])
        for source, names in source_tables(manifest).items()
        if source in {s.value for s in SourceName}
        for name in names
    ]

    @multi_asset(
        name="lake_audit",
        specs=[
            AssetSpec(AssetKey(["ingestion", name]), group_name="ingestion", deps=landed) for name in tables
        ],
        description="The lake's audit and quarantine: every batch reconciles (rows in = clean + deduplicated "
        "+ quarantined)",
    )
    def lake_audit(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        from pyspark.sql import functions as F

        from ingestion.lake import Lake, Zone
        from shelfcast.spark import get_spark

        audit = Lake(settings.lake).read(get_spark(settings, "shelfcast-run"), Zone.audit, "batches")
        batches = audit.count()
        broken = [f"{r.dataset} {r.batch_id}" for r in audit.where(~F.col("reconciled")).limit(5).collect()]
        if broken:
            raise Failure(f"lake batches whose rows in != clean + deduplicated + quarantined: {broken}")
        context.log.info(f"lake audit: {batches:,} batches, every one reconciled")
        for name in tables:
            yield MaterializeResult(
                asset_key=AssetKey(["ingestion", name]), metadata={"batches": MetadataValue.int(batches)}
            )

    return lake_audit


class ShelfcastTranslator(DagsterDbtTranslator):
    """dbt models in Dagster groups named after their layer (staging, intermediate, marts)."""

    def get_group_name(self, dbt_resource_props: dict[str, Any]) -> str | None:
        path = dbt_resource_props.get("original_file_path", "")
        for layer in ("staging", "intermediate", "marts", "snapshots", "seeds"):
            if f"/{layer}/" in f"/{path}":
                return layer
        return super().get_group_name(dbt_resource_props)


def dbt_model_assets(settings: Settings, manifest_path: Path) -> list[Any]:
    """The dbt project in two asset sets: everything the forecast reads, then the marts on its tables.
    On DuckDB each set builds in a copy of the warehouse that is published only when dbt succeeded."""
    translator = ShelfcastTranslator()
    vars_arg = ["--vars", json.dumps({"lake_root": lake_root(settings)})]

    def build(context: AssetExecutionContext, dbt: DbtCliResource, freshness: bool) -> Iterator[Any]:
        from orchestration.publish import published_build

        with published_build(settings):
            if freshness:  # a stale or missing lake table stops the build before any model runs
                dbt.cli(["source", "freshness", *vars_arg]).wait()
            yield from dbt.cli(["build", *vars_arg], context=context).stream()

    @dbt_assets(
        manifest=manifest_path,
        exclude=FORECAST_MODELS_SELECTOR,
        name="warehouse_models",
        dagster_dbt_translator=translator,
    )
    def warehouse_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from build(context, dbt, freshness=True)

    @dbt_assets(
        manifest=manifest_path,
        select=FORECAST_MODELS_SELECTOR,
        name="forecast_models",
        dagster_dbt_translator=translator,
    )
    def forecast_models(context: AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
        yield from build(context, dbt, freshness=False)

    return [warehouse_models, forecast_models]


def forecast_asset(settings: Settings) -> Any:
    @multi_asset(
        name="sales_forecast",
        specs=[
            AssetSpec(
                AssetKey(["ml", table]),
                group_name="forecasting",
                deps=[AssetKey("int_sales__features")],
                kinds={"python", "mlflow"},
            )
            for table in ML_TABLES
        ],
        description="`shelfcast forecast`: backtest, a champion per level, forecasts with intervals, "
        "the MLflow run",
    )
    def sales_forecast(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        from ml.run import run_forecast

        outcome = run_forecast(settings, context.log.info, build_marts=False)
        for table in ML_TABLES:
            yield MaterializeResult(
                asset_key=AssetKey(["ml", table]),
                metadata={
                    "rows": MetadataValue.int(outcome.rows_written.get(table, 0)),
                    "mlflow_run_id": outcome.run_id,
                    "champion": outcome.run.champion,
                },
            )

    return sales_forecast


def dashboards_asset(settings: Settings) -> Any:
    from dashboards.server import bundled_datasets

    @multi_asset(
        name="dashboards_refresh",
        specs=[
            AssetSpec(
                AssetKey(["dashboards", "superset"]),
                group_name="dashboards",
                deps=[AssetKey(table) for table in bundled_datasets()],
                kinds={"superset"},
                description="The Superset dashboards over the marts",
            )
        ],
        description="Superset's datasets re-read and its chart cache emptied once the marts are rebuilt, so "
        "no dashboard answers from the previous build (a no-op until `shelfcast dashboards up` ran)",
    )
    def dashboards_refresh(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
        from dashboards.server import refresh

        refreshed = refresh(settings, context.log.info)
        yield MaterializeResult(
            asset_key=AssetKey(["dashboards", "superset"]),
            metadata={"refreshed": MetadataValue.bool(refreshed)},
        )

    return dashboards_refresh
