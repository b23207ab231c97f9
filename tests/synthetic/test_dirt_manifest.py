"""The manifest's dirt counts equal the dirt a consumer finds in the POS files, kind by kind."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from synthetic.dirt import KINDS
from tests.synthetic.pos_reader import erp, manifest, read_pos

CODE_COLUMNS = ("store_code", "product_code")


def detect_dirt(root: Path) -> pd.DataFrame:
    """Flag each dirty row with its kind, from the files and the ERP alone (never from dirt.jsonl)."""
    pos = read_pos(root).copy()
    m = manifest(root)
    comma = pos["dialect_store"].map(lambda s: m["pos_dialects"][s]["decimal_comma"])
    known = {
        "store_code": set(erp(root, "SELECT store_code FROM stores")["store_code"]),
        "product_code": set(erp(root, "SELECT product_code FROM products")["product_code"]),
    }
    values = pos[list(pos.columns[:14])]
    same_file_as_previous = pos["file"].eq(pos["file"].shift())
    same_as_previous = values.eq(values.shift()).all(axis=1) & same_file_as_previous
    same_key_as_previous = (
        pos["transaction_id"].eq(pos["transaction_id"].shift())
        & pos["line_number"].eq(pos["line_number"].shift())
        & same_file_as_previous
    )
    quantity = pd.to_numeric(pos["quantity"], errors="coerce")
    price_ok = (
        pos["unit_price"]
        .str.fullmatch(r"-?\d+\.\d{2}")
        .where(~comma, pos["unit_price"].str.fullmatch(r"-?\d+,\d{2}"))
    )
    normalised = {c: pos[c].str.strip().str.upper() for c in CODE_COLUMNS}
    unknown = pd.Series(False, index=pos.index)
    scrambled = pd.Series(False, index=pos.index)
    for column in CODE_COLUMNS:
        unknown |= ~normalised[column].isin(known[column]) & pos[column].ne("")
        scrambled |= normalised[column].isin(known[column]) & pos[column].ne(normalised[column])
    end = pd.Timestamp(m["end_date"]) + pd.Timedelta(days=1)
    missing = pos[["product_code", "quantity", "transaction_ts"]].eq("").any(axis=1)

    kind = pd.Series("", index=pos.index)
    checks = [
        ("exact_duplicate", same_as_previous),
        ("conflicting_duplicate", same_key_as_previous & ~same_as_previous),
        ("missing_required", missing),
        ("unparseable_date", pos["ts"].isna() & pos["transaction_ts"].ne("")),
        ("future_date", pos["ts"] >= end),
        ("negative_quantity", (pos["transaction_type"] == "SALE") & (quantity < 0)),
        ("extreme_outlier", quantity >= 1000),
        ("price_format", ~price_ok),
        ("unknown_reference", unknown),
        ("code_format", scrambled),
    ]
    for name, flagged in checks:
        overlap = flagged & kind.ne("")
        assert not overlap.any(), f"{name} overlaps {kind[overlap].unique()}: detector is ambiguous"
        kind[flagged] = name
    return pos.assign(kind=kind)[["file", "line", "kind"]]


def test_manifest_counts_equal_the_dirt_found(xs_dataset: Path) -> None:
    found = detect_dirt(xs_dataset)
    counts = found[found["kind"] != ""]["kind"].value_counts().to_dict()
    expected = manifest(xs_dataset)["dirt"]["by_kind"]
    assert set(expected) == {k.value for k in KINDS} and len(expected) >= 10
    assert all(expected[k] > 0 for k in expected), expected
    assert {k: counts.get(k, 0) for k in expected} == expected
    assert manifest(xs_dataset)["dirt"]["total"] == sum(expected.values())


def test_every_logged_row_is_where_the_log_says(xs_dataset: Path) -> None:
    found = detect_dirt(xs_dataset).set_index(["file", "line"])["kind"]
    with (xs_dataset / "dirt.jsonl").open(encoding="utf-8") as log:
        entries = [json.loads(line) for line in log]
    assert len(entries) == manifest(xs_dataset)["dirt"]["total"]
    wrong = [e for e in entries if found.get((e["file"], e["line"])) != e["kind"]]
    assert not wrong, f"{len(wrong)} log entries do not match the files, e.g. {wrong[:3]}"


def test_dirt_rate_is_close_to_the_setting(xs_dataset: Path) -> None:
    m = manifest(xs_dataset)
    rate = m["dirt"]["total"] / m["counts"]["sale_lines"]
    assert abs(rate - m["dirt_rate"]) < 0.003, rate


def test_clean_generation_has_no_dirt(clean_xs_dataset: Path) -> None:
    found = detect_dirt(clean_xs_dataset)
    assert (found["kind"] == "").all(), found[found["kind"] != ""].head()
    assert manifest(clean_xs_dataset)["dirt"]["total"] == 0
