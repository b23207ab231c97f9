"""POS lines landed from the xs retailer: every dirtied row accounted for, every batch reconciled."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from ingestion.lake import Lake, Zone

pytestmark = pytest.mark.spark

# The generator's dirt kind -> what ingestion must do with that row.
QUARANTINED = {
    "conflicting_duplicate": "conflicting_duplicate",
    "missing_required": "missing_required",
    "unparseable_date": "unparseable_timestamp",
    "negative_quantity": "negative_quantity",
    "future_date": "future_timestamp",
}


@pytest.fixture(scope="module")
def manifest(xs_dataset: Path) -> dict:
    return json.loads((xs_dataset / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def dirt(xs_dataset: Path) -> dict[tuple[str, int], dict]:
    with (xs_dataset / "dirt.jsonl").open(encoding="utf-8") as lines:
        entries = [json.loads(line) for line in lines]
    return {(e["file"], e["line"]): e for e in entries}


@pytest.fixture(scope="module")
def zones(spark, landed) -> dict:
    lake = Lake(landed.settings.lake)
    clean = lake.read(spark, Zone.clean, "pos_lines")
    quarantine = lake.read(spark, Zone.quarantine, "rows").where(F.col("dataset") == "pos_lines")
    audit = lake.read(spark, Zone.audit, "batches").where(F.col("dataset") == "pos_lines")
    return {
        "raw_count": lake.read(spark, Zone.raw, "pos_lines").count(),
        "clean": {
            (r.source_file, r.source_line): r
            for r in clean.select(
                "source_file",
                "source_line",
                "unit_price",
                "store_code",
                "product_code",
                "quantity",
                "is_outlier",
                "corrections",
            ).collect()
        },
        "quarantine": {
            (r.source_file, r.source_line): r
            for r in quarantine.select("source_file", "source_line", "reason", "reason_detail").collect()
        },
        "audit": [r.asDict() for r in audit.collect()],
    }


def test_every_pos_row_lands_once_and_batches_reconcile(zones: dict, manifest: dict) -> None:
    rows = manifest["counts"]["pos_rows"]
    assert zones["raw_count"] == rows
    audit = zones["audit"]
    assert all(a["reconciled"] for a in audit)
    assert all(
        a["rows_in"] == a["rows_clean"] + a["rows_deduplicated"] + a["rows_quarantined"] for a in audit
    )
    assert sum(a["rows_in"] for a in audit) == rows
    assert sum(a["rows_clean"] for a in audit) == len(zones["clean"])
    assert sum(a["rows_quarantined"] for a in audit) == len(zones["quarantine"])
    by_kind = manifest["dirt"]["by_kind"]
    assert sum(a["rows_deduplicated"] for a in audit) == by_kind["exact_duplicate"]
    assert len(zones["clean"]) + len(zones["quarantine"]) + by_kind["exact_duplicate"] == rows


def test_each_dirty_row_is_quarantined_with_its_reason_or_corrected(zones: dict, dirt: dict) -> None:
    clean, quarantine = zones["clean"], zones["quarantine"]
    wrong: list[str] = []
    for (file, line), entry in dirt.items():
        kind = entry["kind"]
        where = (file, line)
        if kind in QUARANTINED:
            got = quarantine.get(where)
            if got is None or got.reason != QUARANTINED[kind]:
                wrong.append(f"{file}:{line} {kind} -> {got.reason if got else 'not quarantined'}")
        elif kind == "unknown_reference":
            expected = "unknown_store" if entry["column"] == "store_code" else "unknown_product"
            got = quarantine.get(where)
            if got is None or got.reason != expected:
                wrong.append(f"{file}:{line} {kind} -> {got.reason if got else 'not quarantined'}")
        elif kind == "exact_duplicate":
            if where in clean or where in quarantine:
                wrong.append(f"{file}:{line} exact duplicate was kept")
            if (file, entry["copy_of_line"]) not in clean:
                wrong.append(f"{file}:{line} the original of a duplicate is missing")
        elif kind == "price_format":
            row = clean.get(where)
            original = float(entry["original"].replace(",", "."))
            if (
                row is None
                or float(row.unit_price) != original
                or "price_format" not in (row.corrections or "")
            ):
                wrong.append(f"{file}:{line} price {entry['value']!r} -> {row.unit_price if row else None}")
        elif kind == "code_format":
            row = clean.get(where)
            value = getattr(row, entry["column"], None) if row else None
            if value != entry["original"] or "code_format" not in (row.corrections or ""):
                wrong.append(f"{file}:{line} code {entry['value']!r} -> {value!r}")
        elif kind == "extreme_outlier":
            row = clean.get(where)
            if row is None or not row.is_outlier or row.quantity != int(entry["value"]):
                wrong.append(f"{file}:{line} outlier {entry['value']} not kept and flagged")
        else:
            wrong.append(f"{file}:{line} unexpected kind {kind}")
    assert not wrong, f"{len(wrong)} dirty rows mishandled, e.g. {wrong[:10]}"


def test_nothing_clean_is_quarantined_and_outlier_flags_are_rare(zones: dict, dirt: dict) -> None:
    unexpected = [k for k in zones["quarantine"] if k not in dirt]
    assert not unexpected, f"clean rows quarantined: {unexpected[:10]}"
    flagged = Counter(k in dirt for k, r in zones["clean"].items() if r.is_outlier)
    # only the planted outliers are flagged, give or take a genuinely large basket
    assert flagged[False] <= 0.001 * len(zones["clean"]), flagged


def test_quarantine_says_what_was_wrong(zones: dict) -> None:
    details = {r.reason: r.reason_detail for r in zones["quarantine"].values()}
    assert details["missing_required"].startswith("empty: ")
    assert details["unparseable_timestamp"].startswith("transaction_ts = ")
    assert details["conflicting_duplicate"].startswith("first seen at line ")
