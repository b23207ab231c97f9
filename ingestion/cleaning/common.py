"""Pieces every dataset's cleaning shares: code normalisation, money parsing, the split into zones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import Column, Window
from pyspark.sql import functions as F

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

LINEAGE = ("source", "batch_id", "ingested_at", "source_file", "source_line", "row_hash")
MONEY = "decimal(12,2)"


@dataclass(frozen=True)
class Cleaned:
    """A cleaning result: clean rows, quarantined rows (with `reason`), duplicates dropped per date."""

    clean: DataFrame
    quarantine: DataFrame
    duplicates: DataFrame  # business_date, rows_deduplicated
    cached: tuple[DataFrame, ...] = ()  # intermediate results the three share; release() when written

    def release(self) -> None:
        # Dependents first: unpersisting a cache that others were built on makes Spark re-plan and
        # re-cache each of them, and those re-planned caches were never released (a long session slowed
        # to a crawl re-planning them on every new cache).
        for frame in reversed(self.cached):
            frame.unpersist()


def blank_to_null(column: str) -> Column:
    """Empty or whitespace-only text is a missing value."""
    trimmed = F.trim(F.col(column))
    return F.when(trimmed == "", None).otherwise(trimmed)


def code(column: str) -> Column:
    """Business codes compare trimmed and upper-case: ' p00012 ' is P00012."""
    return F.upper(blank_to_null(column))


def was_code_scrambled(column: str) -> Column:
    return F.col(column).isNotNull() & (F.col(column) != F.upper(F.trim(F.col(column))))


def money(column: str, decimal_comma: Column) -> Column:
    """Amounts as decimals. Currency symbols, codes and thousands separators are removed; the decimal
    separator is the file's own (detected per file), so '1.234,50 $' and '$1,234.50' are both 1234.50."""
    raw = blank_to_null(column)
    comma_text = F.regexp_replace(F.regexp_replace(raw, r"[^0-9,\-]", ""), ",", ".")
    point_text = F.regexp_replace(raw, r"[^0-9.\-]", "")
    text = F.when(decimal_comma, comma_text).otherwise(point_text)
    return _try_cast(text, MONEY)


def was_money_reformatted(column: str, decimal_comma: Column) -> Column:
    raw = blank_to_null(column)
    plain = F.when(decimal_comma, raw.rlike(r"^-?[0-9]+(,[0-9]+)?$")).otherwise(
        raw.rlike(r"^-?[0-9]+(\.[0-9]+)?$")
    )
    return raw.isNotNull() & ~plain


def integer(column: str) -> Column:
    return _try_cast(blank_to_null(column), "int")


def iso_date(column: str) -> Column:
    return F.try_to_date(blank_to_null(column), "yyyy-MM-dd")  # type: ignore[attr-defined]


def first_reason(*checks: tuple[Column, str]) -> Column:
    """The reason code of the first failing check, or null for a row that passes them all."""
    result: Column = F.lit(None).cast("string")
    for failed, reason in reversed(checks):
        result = F.when(failed, F.lit(reason)).otherwise(result)
    return result


def _try_cast(column: Column, type_name: str) -> Column:
    return column.try_cast(type_name)


@dataclass(frozen=True)
class Deduplicated:
    """Valid rows split by business key: one winner per key, the other rows as exact or conflicting
    duplicates (both carrying `_winner_line`, the winner's source line)."""

    winners: DataFrame
    exact: DataFrame
    conflicting: DataFrame
    cached: DataFrame


def deduplicate(valid: DataFrame, keys: list[str], content: str) -> Deduplicated:
    """Keep the first row per `keys` in source order (file, then line): a deterministic winner.

    `content` is a hash column telling an exact copy from a conflicting one. One window over the rows,
    cached, feeds the winners and both kinds of duplicates. (Sorting only the keys that repeat, found with
    a self-join, was tried: no faster at scale s, and the self-joins multiplied the size of the query plans
    Spark analyses until a long session ran out of driver memory.)
    """
    first = Window.partitionBy(*keys).orderBy("source_file", "source_line")
    ranked = (
        valid.withColumn("_rank", F.row_number().over(first))
        .withColumn("_winner_content", F.first(content).over(first))
        .withColumn("_winner_line", F.first("source_line").over(first))
        .persist()
    )
    losers = ranked.where(F.col("_rank") > 1)
    return Deduplicated(
        winners=ranked.where(F.col("_rank") == 1).drop("_rank", "_winner_content", "_winner_line"),
        exact=losers.where(F.col(content) == F.col("_winner_content")),
        conflicting=losers.where(F.col(content) != F.col("_winner_content")),
        cached=ranked,
    )
