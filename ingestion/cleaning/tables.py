"""Typed tables (ERP master data, inventory snapshots, REST records), cleaned by a declarative spec.

Per column a kind says how to type it: `code` (trimmed, upper-case), `text` (trimmed, empty is null),
`date` (ISO), `int`, `money` (decimal(12,2)), `number` (double). Policy, the same for every table:
- a required column empty -> quarantine `missing_required`; a value that does not type -> `invalid_value`;
- a failed table rule (`checks`) -> quarantine with that rule's reason;
- optional columns stay null when empty: nothing is invented (no fillna of business values);
- rows sharing the key: the first by source position wins; identical copies are counted as deduplicated,
  differing ones are quarantined as `conflicting_duplicate`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from ingestion.cleaning.common import (
    LINEAGE,
    MONEY,
    Cleaned,
    blank_to_null,
    code,
    deduplicate,
    first_reason,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

KINDS = ("code", "text", "date", "int", "money", "number")


@dataclass(frozen=True)
class TableSpec:
    name: str  # the lake table, e.g. erp_stores
    columns: dict[str, str]  # column -> kind
    key: tuple[str, ...]
    required: tuple[str, ...]
    checks: tuple[tuple[str, Callable[[], Column]], ...] = field(default=())  # (reason, failing-row test)

    def __post_init__(self) -> None:
        unknown = {k for k in self.columns.values() if k not in KINDS}
        assert not unknown, f"{self.name}: unknown column kinds {unknown}"


def typed_value(column: str, kind: str) -> Column:
    text = blank_to_null(column)
    if kind == "code":
        return code(column)
    if kind == "text":
        return text
    if kind == "date":
        return F.try_to_date(text, "yyyy-MM-dd")  # type: ignore[attr-defined]
    if kind == "int":
        # SQLite may hand integers over as "12.0"; a fractional part is still refused
        return F.when(text.rlike(r"^-?[0-9]+(\.0+)?$"), text.try_cast("decimal(20,2)").cast("long"))
    if kind == "money":
        return text.try_cast(MONEY)
    return text.try_cast("double")


def clean_table(raw: DataFrame, spec: TableSpec) -> Cleaned:
    """Split a raw table (all strings) into typed clean rows, quarantined rows and duplicate counts."""
    # One projection: the received text as raw_<column>, the typed value under the column's own name.
    # (Renaming column by column made Spark analyse the growing plan twice per column: seconds a table.)
    typed = raw.select(
        *(F.col(c).alias(f"raw_{c}") if c in spec.columns else F.col(c) for c in raw.columns),
        *(typed_value(c, kind).alias(c) for c, kind in spec.columns.items()),
        F.sha2(F.concat_ws("\u001f", *(F.coalesce(F.col(c), F.lit("")) for c in spec.columns)), 256).alias(
            "_content"
        ),
    )
    missing = [blank_to_null(f"raw_{c}").isNull() for c in spec.required]
    invalid = [blank_to_null(f"raw_{c}").isNotNull() & F.col(c).isNull() for c in spec.columns]
    checked = typed.withColumn(
        "reason",
        first_reason(
            (_any(missing), "missing_required"),
            (_any(invalid), "invalid_value"),
            *((test(), reason) for reason, test in spec.checks),
        ),
    )
    detail = F.concat_ws(
        ", ",
        *(F.when(blank_to_null(f"raw_{c}").isNull(), F.lit(f"empty: {c}")) for c in spec.required),
        *(
            F.when(
                blank_to_null(f"raw_{c}").isNotNull() & F.col(c).isNull(),
                F.concat(F.lit(f"{c} = "), F.col(f"raw_{c}")),
            )
            for c in spec.columns
        ),
    )
    checked = checked.withColumn("reason_detail", F.when(F.col("reason").isNotNull(), detail)).persist()
    valid = checked.where(F.col("reason").isNull())
    split = deduplicate(valid, ["business_date", *spec.key], "_content")
    conflicting = split.conflicting.withColumns(
        {
            "reason": F.lit("conflicting_duplicate"),
            "reason_detail": F.concat(F.lit("first seen at position "), F.col("_winner_line").cast("string")),
        }
    )
    duplicates = split.exact.groupBy("business_date").agg(F.count(F.lit(1)).alias("rows_deduplicated"))
    quarantine = _quarantine(checked.where(F.col("reason").isNotNull()), spec).unionByName(
        _quarantine(conflicting, spec)
    )
    clean = split.winners.select(*spec.columns, *LINEAGE, "business_date")
    return Cleaned(clean=clean, quarantine=quarantine, duplicates=duplicates, cached=(checked, split.cached))


def _any(tests: list[Column]) -> Column:
    result: Column = F.lit(False)
    for test in tests:
        result = result | F.coalesce(test, F.lit(False))
    return result


def _quarantine(frame: DataFrame, spec: TableSpec) -> DataFrame:
    record = F.to_json(F.struct(*(F.col(f"raw_{c}").alias(c) for c in spec.columns)))
    return frame.select(
        F.lit(spec.name).alias("dataset"),
        "business_date",
        "reason",
        "reason_detail",
        record.alias("record"),
        *LINEAGE,
    )
