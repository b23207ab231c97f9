"""The Dagster definitions: the asset graph (ingestion → lake audit → dbt models → forecast → forecast
marts), a daily schedule of the whole graph, and a sensor that lands newly arrived POS exports and
rebuilds what depends on them.

`shelfcast run` materialises the graph in-process; `dagster dev -m orchestration.repository` shows it,
with dbt's lineage, from the configuration of the environment it starts in."""

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    Definitions,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)
from dagster_dbt import DbtCliResource

from orchestration.assets import (
    audit_assets,
    dashboards_asset,
    dbt_model_assets,
    forecast_asset,
    ingestion_assets,
)
from shelfcast.config import Settings
from shelfcast.dbt import PROFILES_EXAMPLE, PROJECT_DIR, dbt_artefacts, run_dbt

DAILY_AT = "0 5 * * *"  # after the stores' end-of-day POS exports have arrived


def dbt_manifest(settings: Settings) -> Path:
    """dbt's manifest for the settings' target (`dbt parse`), which dagster-dbt reads the graph from."""
    run_dbt(settings, ["parse"])
    return dbt_artefacts(settings) / "target" / "manifest.json"


def dbt_resource(settings: Settings) -> DbtCliResource:
    profiles = dbt_artefacts(settings) / "profiles"
    profiles.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROFILES_EXAMPLE, profiles / "profiles.yml")
    return DbtCliResource(
        project_dir=str(PROJECT_DIR),
        profiles_dir=str(profiles),
        target=settings.warehouse_target.value,
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
    )


def pipeline_assets(settings: Settings) -> list[Any]:
    manifest_path = dbt_manifest(settings)
    manifest = json.loads(manifest_path.read_text())
    return [
        *ingestion_assets(settings, manifest),
        audit_assets(settings, manifest),
        *dbt_model_assets(settings, manifest_path),
        forecast_asset(settings),
        dashboards_asset(settings),
    ]


def new_pos_files_sensor(settings: Settings) -> Any:
    pos_folder = settings.sources_path / "pos"

    @sensor(
        name="new_pos_exports",
        job_name="pos_refresh",
        minimum_interval_seconds=300,
        default_status=DefaultSensorStatus.STOPPED,
        description=f"POS exports newer than the last run's, in {pos_folder}",
    )
    def new_pos_exports(context: SensorEvaluationContext) -> Any:
        newest = max((p.stat().st_mtime_ns for p in pos_folder.glob("*/*.csv")), default=0)
        if newest <= int(context.cursor or 0):
            return SkipReason("no POS export newer than the last run's")
        context.update_cursor(str(newest))
        return RunRequest(run_key=str(newest))

    return new_pos_exports


def build_definitions(settings: Settings) -> Definitions:
    assets = pipeline_assets(settings)
    everything = define_asset_job("daily_pipeline", selection=AssetSelection.all())
    pos_refresh = define_asset_job(
        "pos_refresh",
        selection=AssetSelection.assets(*_keys_of(assets, "ingest_pos")).downstream(),
    )
    return Definitions(
        assets=assets,
        jobs=[everything, pos_refresh],
        schedules=[
            ScheduleDefinition(
                job=everything,
                cron_schedule=DAILY_AT,
                default_status=DefaultScheduleStatus.STOPPED,
                description="The whole pipeline every morning",
            )
        ],
        sensors=[new_pos_files_sensor(settings)],
        resources={"dbt": dbt_resource(settings)},
    )


def _keys_of(assets: list[Any], name: str) -> list[Any]:
    return [
        key for asset in assets if getattr(asset, "op", None) and asset.op.name == name for key in asset.keys
    ]
