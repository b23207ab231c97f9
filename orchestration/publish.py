"""Where a dbt step of a Dagster run builds: on DuckDB a private copy of the warehouse, published by one
rename only when dbt succeeded (as `shelfcast transform` does), so a failed or killed step leaves the
previous warehouse readable and a rerun starts from it; elsewhere the target itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from shelfcast.dbt import dbt_environment, patched_environment

if TYPE_CHECKING:
    from shelfcast.config import Settings


@contextmanager
def published_build(settings: Settings) -> Iterator[None]:
    """The environment dbt's profile reads, pointing at the copy to build in on DuckDB."""
    if settings.warehouse_target.value != "duckdb":
        with patched_environment(dbt_environment(settings)):
            yield
        return
    from shelfcast.warehouse import duckdb_build, install_duckdb_extensions

    install_duckdb_extensions()
    with duckdb_build(settings) as building, patched_environment(dbt_environment(settings, building)):
        yield
