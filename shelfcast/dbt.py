"""Running the dbt project in-process: the profile, the variables and the environment it needs.

dbt prints its own per-node progress lines (`12 of 80 OK created sql table model ... [OK in 0.31s]`), the
format analytics engineers already read; this module adds the set-up and turns a failed build into one
ShelfcastError naming the failed nodes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from shelfcast.errors import ShelfcastError

if TYPE_CHECKING:
    from shelfcast.config import Settings
    from shelfcast.redshift import RedshiftLoad

PROJECT_DIR = Path(__file__).resolve().parents[1]
PROFILES_EXAMPLE = PROJECT_DIR / "profiles.example.yml"


@dataclass(frozen=True)
class DbtResult:
    nodes: int
    failures: list[str]
    seconds: float


def lake_root(settings: Settings) -> str:
    from ingestion.lake import normalise_root

    return normalise_root(settings.lake)


def dbt_environment(settings: Settings, duckdb_file: Path | None = None) -> dict[str, str]:
    """What profiles.example.yml and dbt_project.yml read, as absolute paths."""
    env = {
        "SHELFCAST_DATA_DIR": str(settings.data_dir.resolve()),
        "SHELFCAST_LAKE_URI": lake_root(settings),
        "SHELFCAST_WAREHOUSE_TARGET": settings.warehouse_target.value,
    }
    if duckdb_file is not None:
        env["SHELFCAST_DUCKDB_FILE"] = str(duckdb_file)
    return env


@contextmanager
def patched_environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def dbt_artefacts(settings: Settings) -> Path:
    """dbt's target and log folders live here, per data dir and target, so two runs (two targets, two data
    dirs) never share manifests, run results or partial-parse state."""
    return settings.data_dir.resolve() / "dbt" / settings.warehouse_target.value


def run_dbt(
    settings: Settings,
    args: list[str],
    duckdb_file: Path | None = None,
    dataset_vars: dict[str, object] | None = None,
) -> DbtResult:
    """Invoke dbt with the example profile and our settings (a landed dataset's variables with them: see
    ingestion/mapping/landed.py); raise naming the nodes that failed."""
    import time

    from dbt.cli.main import dbtRunner

    started = time.perf_counter()
    artefacts = dbt_artefacts(settings)
    if dataset_vars:  # a dataset's manifest and docs are its own, never the shop's
        artefacts = artefacts / "datasets" / str(dataset_vars["dataset"])
    with tempfile.TemporaryDirectory(prefix="shelfcast-dbt-") as profiles:
        shutil.copyfile(PROFILES_EXAMPLE, Path(profiles) / "profiles.yml")
        with patched_environment(dbt_environment(settings, duckdb_file)):
            outcome = dbtRunner().invoke(
                [
                    *args,
                    "--project-dir",
                    str(PROJECT_DIR),
                    "--profiles-dir",
                    profiles,
                    "--target",
                    settings.warehouse_target.value,
                    "--vars",
                    json.dumps({"lake_root": lake_root(settings)} | (dataset_vars or {})),
                    "--target-path",
                    str(artefacts / "target"),
                    "--log-path",
                    str(artefacts / "logs"),
                ]
            )
    seconds = time.perf_counter() - started
    if outcome.exception is not None:
        raise ShelfcastError(
            f"dbt {' '.join(args[:2])} could not run: {outcome.exception}"
        ) from outcome.exception
    results = getattr(outcome.result, "results", None) or []
    failures = [
        f"{_result_name(result)}: {result.status}{_first_line(result.message)}"
        for result in results
        if str(result.status) in ("error", "fail", "runtime error")
    ]
    command = " ".join(args[:2]) if args[0] == "source" else args[0]
    if not outcome.success or failures:
        shown = "; ".join(failures[:5]) + (f" and {len(failures) - 5} more" if len(failures) > 5 else "")
        raise ShelfcastError(
            f"dbt {command} failed: {shown or 'see the log above'}",
            hint="the messages above say why; the published warehouse was left as it was",
        )
    return DbtResult(len(results), failures, seconds)


def _first_line(message: str | None) -> str:
    """The message's first informative line ("Got 3 results…", "the lake table … changed shape …")."""
    boilerplate = ("Compilation Error", "Runtime Error", "Database Error", "> in macro", "> called by")
    lines = [
        line.strip()
        for line in (message or "").splitlines()
        if line.strip() and not line.strip().startswith(boilerplate)
    ]
    return f" ({lines[0][:300]})" if lines else ""


def _result_name(result: object) -> str:
    node = getattr(result, "node", None)
    if node is None:  # run-operation results name their macro only
        return f"operation {getattr(result, 'unique_id', '?')}"
    return _node_name(node)


def _node_name(node: object) -> str:
    kind, name = getattr(node, "resource_type", "node"), getattr(node, "name", "?")
    source = getattr(node, "source_name", None)
    return f"{kind} {source}.{name}" if source else f"{kind} {name}"


def build_warehouse(settings: Settings, select: str | None = None, full_refresh: bool = False) -> DbtResult:
    """Source freshness, then `dbt build`, on the configured target; on DuckDB in a copy swapped in only
    when everything passed. A stale or missing source stops the build before any model runs."""
    args = ["build", *(["--select", select] if select else []), *(["--full-refresh"] if full_refresh else [])]
    if settings.warehouse_target.value == "redshift":
        load_lake_into_redshift(settings)
    if settings.warehouse_target.value == "spark":
        from shelfcast.spark import warehouse_spark

        # dbt-spark's session method picks up the active session: ours, whose metastore lets incremental
        # models find their tables next time
        spark = warehouse_spark(settings, "shelfcast-transform")
        # dbt reports each failed statement itself; Spark would also dump the whole query plan as JSON.
        spark.sparkContext.setLogLevel("OFF")
    if settings.warehouse_target.value == "postgres":
        from shelfcast.warehouse import load_lake_into_postgres

        load_lake_into_postgres(settings, print)
    if settings.warehouse_target.value != "duckdb":
        run_dbt(settings, ["source", "freshness"])
        return run_dbt(settings, args)
    return run_in_duckdb_build(settings, ["source", "freshness"], args)


def build_dataset(
    settings: Settings, dataset_vars: dict[str, object], select: str | None = None
) -> DbtResult:
    """`dbt build` of a landed dataset into its own schema (DuckDB only so far), from scratch: a landing
    replaces the whole dataset, so the incremental facts are rebuilt whole too. No freshness gate: a
    dataset is a history the user brought, as old as it is."""
    if settings.warehouse_target.value != "duckdb":
        raise ShelfcastError(
            f"building a landed dataset on the {settings.warehouse_target.value} target is not supported yet",
            hint="build it on the embedded DuckDB warehouse: SHELFCAST_WAREHOUSE_TARGET=duckdb",
        )
    args = ["build", *(["--select", select] if select else []), "--full-refresh"]
    return run_in_duckdb_build(settings, args, dataset_vars=dataset_vars)


FORECAST_MODELS_SELECTOR = "source:ml+"


def build_forecast_models(settings: Settings, dataset_vars: dict[str, object] | None = None) -> DbtResult:
    """`dbt build` of the models on the forecast's tables (source `ml` and everything downstream: the
    forecast, accuracy, inventory and alert marts), after `shelfcast forecast` wrote a new run; with a
    landed dataset's variables, its own (source `ml` reads schema `<name>_ml` then)."""
    args = ["build", "--select", FORECAST_MODELS_SELECTOR]
    if settings.warehouse_target.value == "duckdb":
        return run_in_duckdb_build(settings, args, dataset_vars=dataset_vars)
    return run_dbt(settings, args, dataset_vars=dataset_vars)


def run_in_duckdb_build(
    settings: Settings, *commands: list[str], dataset_vars: dict[str, object] | None = None
) -> DbtResult:
    """dbt commands, in order, in a copy of the DuckDB warehouse swapped in only when all of them passed;
    the last command's result."""
    from shelfcast.warehouse import duckdb_build, install_duckdb_extensions

    install_duckdb_extensions()
    with duckdb_build(settings) as building:
        try:
            results = [run_dbt(settings, command, building, dataset_vars) for command in commands]
        finally:
            _close_dbt_duckdb()
    return results[-1]


def generate_docs(settings: Settings) -> Path:
    """`dbt docs generate` for the configured target; returns the site's index.html.

    On DuckDB the catalog is read from a copy of the published warehouse: dbt-duckdb opens its file for
    writing, which would lock out the dashboards reading the published one."""
    from shelfcast.warehouse import install_duckdb_extensions, published_warehouse

    target = dbt_artefacts(settings) / "target"
    if settings.warehouse_target.value != "duckdb":
        run_dbt(settings, ["docs", "generate"])
        return target / "index.html"
    published = published_warehouse(settings)
    install_duckdb_extensions()
    with tempfile.TemporaryDirectory(prefix="shelfcast-docs-") as folder:
        copy = Path(folder) / published.name
        shutil.copyfile(published, copy)
        try:
            run_dbt(settings, ["docs", "generate"], copy)
        finally:
            _close_dbt_duckdb()
    return target / "index.html"


def load_lake_into_redshift(settings: Settings) -> DbtResult:
    """Export the lake for COPY (Spark), then load it with the run-operation `load_lake_into_redshift`."""
    from shelfcast.redshift import export_lake_for_redshift
    from shelfcast.spark import get_spark

    if not settings.lake.startswith(("s3a://", "s3://", "s3n://")):
        raise ShelfcastError(
            f"Redshift loads the lake from S3, but the lake is {settings.lake}",
            hint="set lake_uri to s3a://bucket/prefix (and ingest there)",
        )
    if not settings.redshift_iam_role:
        raise ShelfcastError(
            "no IAM role for Redshift's COPY", hint="set redshift_iam_role (SHELFCAST_REDSHIFT_IAM_ROLE)"
        )
    loads = export_lake_for_redshift(get_spark(settings, "shelfcast-redshift-export"), settings, print)
    return run_dbt(settings, redshift_load_operation(loads, settings.redshift_iam_role))


def redshift_load_operation(loads: list[RedshiftLoad], iam_role: str, dry_run: bool = False) -> list[str]:
    arguments = {"tables": [load.as_macro_argument() for load in loads], "iam_role": iam_role}
    if dry_run:
        arguments["dry_run"] = True
    return ["run-operation", "load_lake_into_redshift", "--args", json.dumps(arguments)]


def _close_dbt_duckdb() -> None:
    """Close the DuckDB connection dbt-duckdb keeps for the process, so the built file is checkpointed and
    unlocked before it is swapped in (and a later build in this process opens the new file, not the old)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()
