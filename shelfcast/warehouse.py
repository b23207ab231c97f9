"""The one place a warehouse connection is opened, and the DuckDB file's build-then-swap publishing.

The embedded warehouse is one DuckDB file. Readers (Superset, the API) open it read-only; a writer holding
it would lock them out, so `shelfcast transform` builds a copy beside it and swaps it in with one rename:
a reader sees the previous warehouse or the new one, never a half-built one, and a failed build publishes
nothing.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from shelfcast.errors import ShelfcastError

if TYPE_CHECKING:
    from shelfcast.config import Settings

# DuckDB would download these at run time, which fails offline; the PyPI wheels ship the signed binaries.
DUCKDB_EXTENSIONS = ("delta", "httpfs", "postgres_scanner")


def install_duckdb_extensions() -> None:
    """Install the extensions from their wheels into DuckDB's extension folder, once.

    After this `LOAD delta` works in any DuckDB process of the same version (dbt-duckdb, Superset),
    with no network."""
    con = duckdb.connect()
    try:
        installed = {
            name
            for (name,) in con.execute(
                "select extension_name from duckdb_extensions() where installed"
            ).fetchall()
        }
        for name in DUCKDB_EXTENSIONS:
            if name in installed:
                continue
            spec = importlib.util.find_spec(f"duckdb_extension_{name}")
            if spec is None or not spec.submodule_search_locations:
                raise ShelfcastError(
                    f"the DuckDB extension {name} is not installed",
                    hint=f"pip install duckdb-extension-{name}=={duckdb.__version__}",
                )
            folder = Path(next(iter(spec.submodule_search_locations)))
            binary = folder / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
            if not binary.is_file():
                raise ShelfcastError(
                    f"no DuckDB {duckdb.__version__} build of the {name} extension in {folder}",
                    hint=f"pip install duckdb-extension-{name}=={duckdb.__version__}",
                )
            con.execute(f"install '{binary}'")
    finally:
        con.close()


def duckdb_path(settings: Settings) -> Path:
    return (settings.data_dir / "warehouse" / "shelfcast.duckdb").resolve()


def building_path(settings: Settings) -> Path:
    return duckdb_path(settings).with_suffix(".building.duckdb")


@contextmanager
def duckdb_build(settings: Settings) -> Iterator[Path]:
    """A private copy of the warehouse to build in; swapped in atomically when the block succeeds."""
    published = duckdb_path(settings)
    building = building_path(settings)
    published.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (building, building.with_suffix(".duckdb.wal")):
        leftover.unlink(missing_ok=True)
    if published.exists():
        # Incremental models continue from the published state.
        shutil.copyfile(published, building)
    try:
        yield building
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    building.replace(published)


def connect_duckdb(settings: Settings, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    path = duckdb_path(settings)
    if read_only and not path.exists():
        raise ShelfcastError(f"the warehouse {path} does not exist", hint="run `shelfcast transform` first")
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        raise ShelfcastError(f"cannot open the warehouse {path}: {error}") from error
