"""What a landing recorded, for the steps after it: the dbt variables that build a landed dataset.

`shelfcast transform --dataset MAPPING.yml` builds the same staged, intermediate and mart models from
`<lake>/datasets/<name>/` into the warehouse schema `<name>` (dbt_project.yml, macros/dataset.sql). What
the models need to know about the data comes from the dataset's own `clean/dataset` row — what was
landed, not what the mapping says now — and the mapping must be the one landed: a mapping edited since
would describe other data than the lake holds.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from ingestion.lake import normalise_root
from ingestion.mapping.stage_linked import lake_name
from shelfcast.errors import ShelfcastError

if TYPE_CHECKING:
    from ingestion.mapping.load import MappingFile
    from shelfcast.config import Settings

# linked tables the dbt project has models for (attributes are not modelled yet)
MODELLED_TABLES = ("regressors", "future_regressors")
# schemas the warehouse already uses: a dataset of that name would build over them
RESERVED_NAMES = (
    "main",
    "ml",
    "lake",
    "analytics",
    "shelfcast",
    "information_schema",
    "pg_catalog",
    "public",
)


def dataset_root(settings: Settings, name: str) -> str:
    """The dataset's own lake folder, where `shelfcast ingest --dataset` lands it."""
    return f"{normalise_root(settings.lake)}/datasets/{name}"


def mapping_sha256(loaded: MappingFile) -> str:
    """The hash of the mapping file as written: the landing records it, later steps compare with it."""
    return hashlib.sha256(loaded.path.read_bytes()).hexdigest()


def landed_row(settings: Settings, name: str) -> dict[str, Any] | None:
    """The dataset's clean/dataset row, or None when it was never landed."""
    import duckdb

    from shelfcast.warehouse import install_duckdb_extensions

    install_duckdb_extensions()
    location = f"{dataset_root(settings, name)}/clean/dataset"
    with duckdb.connect() as con:
        con.execute("LOAD delta")
        try:
            cursor = con.execute(f"SELECT * FROM delta_scan('{location}')")
        except duckdb.Error:
            return None
        names = [d[0] for d in cursor.description]
        rows = cursor.fetchall()
    return dict(zip(names, rows[0], strict=True)) if rows else None


def dbt_vars(settings: Settings, loaded: MappingFile) -> dict[str, Any]:
    """The dbt variables building `loaded`'s landed dataset; refuses a dataset not landed, or landed from
    another version of the mapping file."""
    mapping = loaded.mapping
    name = mapping.name
    if name in RESERVED_NAMES or name.endswith("_ml"):
        raise ShelfcastError(
            f"{loaded.at('name')}: a dataset named {name!r} would build into a schema the warehouse uses "
            f"(datasets build into schema <name>, their forecasts into <name>_ml)",
            hint="rename the dataset in the mapping and land it again",
        )
    row = landed_row(settings, name)
    if row is None:
        raise ShelfcastError(
            f"dataset {name!r} is not in the lake ({dataset_root(settings, name)})",
            hint=f"land it first: shelfcast ingest --dataset {loaded.path}",
        )
    if mapping_sha256(loaded) != row["mapping_sha256"]:
        raise ShelfcastError(
            f"{loaded.path} changed since dataset {name!r} was landed from {row['mapping_file']} "
            f"at {row['landed_at']:%Y-%m-%d %H:%M}: the lake holds what the earlier version described",
            hint=f"land it again with this mapping: shelfcast ingest --dataset {loaded.path}",
        )
    tables = json.loads(row["tables"] or "{}")
    return {
        "dataset": name,
        "lake_root": dataset_root(settings, name),
        "dataset_grain": row["grain"],
        "dataset_period_days": int(row["period_days"]),
        "dataset_measure": "revenue" if row["measure"] == "revenue" else "units",
        "dataset_missing_days": row["missing_days"],
        "dataset_tables": [table for table in MODELLED_TABLES if table in tables],
        "dataset_holiday_column": _holiday_column(loaded) if "regressors" in tables else "",
    }


def _holiday_column(loaded: MappingFile) -> str:
    regressors = loaded.mapping.regressors
    if regressors is None:
        return ""
    holidays = [spec.column for spec in regressors.specs if spec.role == "holiday"]
    return lake_name(holidays[0]) if holidays else ""
