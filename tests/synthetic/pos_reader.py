"""Read a generation's POS exports the way a consumer must: per store dialect, as raw text, with positions."""

from __future__ import annotations

import io
import json
import sqlite3
from functools import cache
from pathlib import Path

import pandas as pd

from synthetic.pos_export import POS_COLUMNS


def manifest(root: Path) -> dict:
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


@cache
def read_pos(root: Path) -> pd.DataFrame:
    """Every POS data row as text, plus `file` (relative path), `line` (1-based, header = 1), `business_date`
    (from the file name), `ts` (transaction_ts parsed in the store's dialect, NaT when it does not parse)."""
    dialects = manifest(root)["pos_dialects"]
    frames = []
    for store, dialect in dialects.items():
        paths = sorted(root.glob(f"pos/*/pos_{store}_*.csv"))
        texts, files, lines = [], [], []
        for path in paths:
            text = path.read_bytes().decode(dialect["encoding"])
            header, _, body = text.partition("\n")
            assert header.split(dialect["delimiter"]) == list(POS_COLUMNS), path
            n = body.count("\n")
            texts.append(body)
            rel = str(path.relative_to(root))
            files.extend([rel] * n)
            lines.extend(range(2, n + 2))
        frame = pd.read_csv(
            io.StringIO("".join(texts)),
            sep=dialect["delimiter"],
            names=list(POS_COLUMNS),
            dtype=str,
            keep_default_na=False,
            header=None,
        )
        assert len(frame) == len(files), store
        frame["file"], frame["line"], frame["dialect_store"] = files, lines, store
        frame["business_date"] = pd.to_datetime(
            frame["file"].str.extract(r"_(\d{8})\.csv$")[0], format="%Y%m%d"
        )
        frame["ts"] = _parse_ts(frame, dialect)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _parse_ts(frame: pd.DataFrame, dialect: dict) -> pd.Series:
    fmt = pd.Series(dialect["date_format"], index=frame.index)
    if "date_format_before" in dialect:
        before = frame["business_date"] < pd.Timestamp(dialect["date_format_from"])
        fmt[before] = dialect["date_format_before"]
    parsed = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    for pattern in fmt.unique():
        rows = fmt == pattern
        parsed[rows] = pd.to_datetime(frame.loc[rows, "transaction_ts"], format=pattern, errors="coerce")
    return parsed


def to_number(text: pd.Series, decimal_comma: pd.Series) -> pd.Series:
    """Parse clean numbers; dirty ones (currency signs, empty) become NaN."""
    normalised = text.where(~decimal_comma, text.str.replace(",", ".", regex=False))
    return pd.to_numeric(normalised, errors="coerce")


@cache
def clean_sales(root: Path) -> pd.DataFrame:
    """Numeric POS lines of a dirt-free generation: store, product, date, units (+ sales, − returns)."""
    pos = read_pos(root)
    dialects = manifest(root)["pos_dialects"]
    comma = pos["dialect_store"].map(lambda s: dialects[s]["decimal_comma"])
    out = pd.DataFrame(
        {
            "store": pos["store_code"],
            "product": pos["product_code"],
            "date": pos["business_date"],
            "type": pos["transaction_type"],
            "quantity": pos["quantity"].astype(int),
            "unit_price": to_number(pos["unit_price"], comma),
            "promo": pos["promo_code"],
            "txn": pos["transaction_id"],
            "original_txn": pos["original_transaction_id"],
            "ts": pos["ts"],
        }
    )
    assert out["unit_price"].notna().all()
    return out


def erp(root: Path, query: str) -> pd.DataFrame:
    with sqlite3.connect(root / "erp.sqlite") as conn:
        return pd.read_sql_query(query, conn)
