"""Real-world dirt in the POS exports, each row recorded in a manifest so tests can prove it is caught.

Every dirtied row gets exactly one kind. "added" kinds insert an extra row after a clean one (the clean
row stays true); "mutated" kinds change one field of a row in place and record the original value, so
the clean truth can always be rebuilt from the files plus the manifest.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import IO

import numpy as np


class DirtKind(StrEnum):
    exact_duplicate = "exact_duplicate"  # the same row twice
    conflicting_duplicate = "conflicting_duplicate"  # same transaction and line, other quantity
    missing_required = "missing_required"  # product code, quantity or timestamp empty
    unparseable_date = "unparseable_date"
    negative_quantity = "negative_quantity"  # a sale with a negative quantity: not a return
    price_format = "price_format"  # currency symbols, thousands separators
    unknown_reference = "unknown_reference"  # a store or product code not in the master data
    future_date = "future_date"  # a timestamp after the export was made
    extreme_outlier = "extreme_outlier"  # quantity a thousand times too large
    code_format = "code_format"  # stray whitespace or lower case in a code


ADDED_KINDS = frozenset({DirtKind.exact_duplicate, DirtKind.conflicting_duplicate})
KINDS = tuple(DirtKind)
GARBAGE_TIMESTAMPS = (
    "N/A",
    "#VALUE!",
    "0000-00-00 00:00:00",
    "32.13.2023 25:00",
    "2023/31/12 10:00 AM",
    "yesterday",
)


@dataclass(frozen=True)
class Columns:
    """Positions of the POS columns that dirt touches."""

    names: tuple[str, ...]
    txn: int
    line: int
    ts: int
    store: int
    product: int
    quantity: int
    unit_price: int
    line_amount: int


class DirtLog:
    """Streams one JSON object per dirtied row (JSON Lines) and counts them per kind."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.counts = {kind.value: 0 for kind in KINDS}

    def record(self, **entry: object) -> None:
        self.counts[str(entry["kind"])] += 1
        self.stream.write(json.dumps(entry, ensure_ascii=False) + "\n")


def format_money(cents: int, decimal_comma: bool) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    text = f"{sign}{cents // 100}.{cents % 100:02d}"
    return text.replace(".", ",") if decimal_comma else text


def _with_currency(cents: int, decimal_comma: bool, rng: np.random.Generator) -> str:
    units, rest = divmod(abs(cents), 100)
    if decimal_comma:
        whole = f"{units:,}".replace(",", ".")
        number = f"{whole},{rest:02d}"
        return f"{number} $" if rng.random() < 0.5 else f"USD {number}"
    number = f"{units:,}.{rest:02d}"
    return f"${number}" if rng.random() < 0.7 else f"{number} USD"


def _scrambled_code(code: str, rng: np.random.Generator) -> str:
    variants = (f" {code}", f"{code}  ", code.lower(), f" {code.lower()} ")
    return variants[int(rng.integers(len(variants)))]


@dataclass
class DirtContext:
    """What a kind needs to know about the file it dirties."""

    path: str
    delimiter: str
    decimal_comma: bool
    format_timestamp: object  # Callable[[dt.datetime], str]
    day: dt.date
    export_end: dt.date  # the last day of the history: a future date lies after it


def apply_dirt(
    rows: list[tuple[str, ...]],
    dirty: np.ndarray,
    kinds: np.ndarray,
    seconds: list[int],
    columns: Columns,
    ctx: DirtContext,
    rng: np.random.Generator,
    log: DirtLog,
) -> list[tuple[str, ...]]:
    """Return the file's rows with dirt applied to the rows flagged in `dirty`; log each one.

    Values are returned CSV-quoted where the file's delimiter needs it; the log keeps them raw.
    """
    out: list[tuple[str, ...]] = []
    done = 0
    for i, k in zip(np.flatnonzero(dirty).tolist(), kinds.tolist(), strict=True):
        out.extend(rows[done:i])
        done = i + 1
        row = rows[i]
        kind = KINDS[k]
        if kind in ADDED_KINDS:
            out.append(row)
            copy = list(row)
            if kind is DirtKind.conflicting_duplicate:
                qty = int(copy[columns.quantity]) + int(rng.integers(1, 4))
                copy[columns.quantity] = str(qty)
                copy[columns.line_amount] = _amount(copy[columns.unit_price], qty, ctx.decimal_comma)
            out.append(tuple(copy))
            log.record(
                file=ctx.path, line=len(out) + 1, kind=kind.value, action="added", copy_of_line=len(out)
            )
            continue
        column, value = _mutation(kind, row, seconds[i], columns, ctx, rng)
        mutated = list(row)
        mutated[column] = _csv_field(value, ctx.delimiter)
        if kind is DirtKind.extreme_outlier:
            mutated[columns.line_amount] = _amount(row[columns.unit_price], int(value), ctx.decimal_comma)
        out.append(tuple(mutated))
        log.record(
            file=ctx.path,
            line=len(out) + 1,
            kind=kind.value,
            action="mutated",
            column=columns.names[column],
            original=row[column],
            value=value,
        )
    out.extend(rows[done:])
    return out


def _csv_field(value: str, delimiter: str) -> str:
    if delimiter in value or '"' in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def _amount(unit_price: str, qty: int, decimal_comma: bool) -> str:
    cents = round(float(unit_price.replace(",", ".")) * 100)
    return format_money(cents * qty, decimal_comma)


def _mutation(
    kind: DirtKind, row: list[str], second: int, c: Columns, ctx: DirtContext, rng: np.random.Generator
) -> tuple[int, str]:
    if kind is DirtKind.missing_required:
        return (c.product, c.quantity, c.ts)[int(rng.integers(3))], ""
    if kind is DirtKind.unparseable_date:
        return c.ts, GARBAGE_TIMESTAMPS[int(rng.integers(len(GARBAGE_TIMESTAMPS)))]
    if kind is DirtKind.negative_quantity:
        return c.quantity, f"-{row[c.quantity]}"
    if kind is DirtKind.price_format:
        cents = round(float(row[c.unit_price].replace(",", ".")) * 100)
        return c.unit_price, _with_currency(cents, ctx.decimal_comma, rng)
    if kind is DirtKind.unknown_reference:
        if rng.random() < 0.7:
            return c.product, f"P9{int(rng.integers(0, 10_000)):04d}"
        return c.store, f"S9{int(rng.integers(0, 100)):02d}"
    if kind is DirtKind.future_date:
        when = dt.datetime.combine(ctx.export_end, dt.time()) + dt.timedelta(
            days=int(rng.integers(30, 1500)), seconds=second
        )
        return c.ts, ctx.format_timestamp(when)  # type: ignore[operator]
    if kind is DirtKind.extreme_outlier:
        return c.quantity, str(int(row[c.quantity]) * 1000)
    if kind is DirtKind.code_format:
        column = c.product if rng.random() < 0.7 else c.store
        return column, _scrambled_code(row[column], rng)
    raise AssertionError(kind)
