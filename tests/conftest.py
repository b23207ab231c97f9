"""Shared fixtures: data sets, one Spark session and one landed xs lake per session; tests only read them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestion.run import SourceName, ingest
from synthetic.generate import GenerateOptions, generate
from synthetic.scales import ScaleName
from tests.support import LandedLake, RestServer, lake_settings, start_rest_server


@pytest.fixture(scope="session")
def xs_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The xs retailer, seed 42, default dirt."""
    out = tmp_path_factory.mktemp("xs") / "sources"
    generate(GenerateOptions(out=out, scale=ScaleName.xs, seed=42))
    return out


@pytest.fixture(scope="session")
def clean_xs_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The xs retailer, seed 42, without dirt: for realism and balance checks."""
    out = tmp_path_factory.mktemp("xs_clean") / "sources"
    generate(GenerateOptions(out=out, scale=ScaleName.xs, seed=42, dirt_rate=0.0))
    return out


@pytest.fixture(scope="session")
def rest_server(xs_dataset: Path) -> Iterator[RestServer]:
    server = start_rest_server(xs_dataset)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def spark(tmp_path_factory: pytest.TempPathFactory):
    from shelfcast.spark import get_spark

    session = get_spark(lake_settings(tmp_path_factory.mktemp("spark"), Path("unused")), "shelfcast-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def landed(spark, xs_dataset: Path, rest_server: RestServer, tmp_path_factory) -> LandedLake:
    """The xs retailer landed whole: ERP, POS lines, inventory and the REST resources."""
    settings = lake_settings(tmp_path_factory.mktemp("landed"), xs_dataset, rest_server.port)
    report = ingest(spark, settings, list(SourceName), None, print)
    return LandedLake(settings, report)


@pytest.fixture(scope="session")
def warehouse(landed: LandedLake, tmp_path_factory: pytest.TempPathFactory):
    """The landed xs lake built into a DuckDB warehouse once per session; tests read the published file."""
    from shelfcast.dbt import build_warehouse
    from tests.dbt.conftest import BuiltWarehouse, warehouse_settings

    settings = warehouse_settings(landed, tmp_path_factory.mktemp("warehouse"))
    return BuiltWarehouse(settings, build_warehouse(settings))


@pytest.fixture(scope="session")
def forecasted(warehouse, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the xs warehouse after `shelfcast forecast` (horizon 14 days, the default models): the
    settings pointing at it, the run's outcome and its log lines."""
    import shutil

    from ml.run import run_forecast
    from shelfcast.warehouse import duckdb_path

    data_dir = tmp_path_factory.mktemp("forecast")
    settings = warehouse.settings.model_copy(update={"data_dir": data_dir, "forecast_horizon": 14})
    duckdb_path(settings).parent.mkdir(parents=True)
    shutil.copyfile(warehouse.path, duckdb_path(settings))
    lines: list[str] = []
    outcome = run_forecast(settings, lines.append)
    return settings, outcome, lines
