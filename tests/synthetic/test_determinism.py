"""Same seed, same bytes; another seed, another retailer; and the POS dialects vary as real exports do."""

from __future__ import annotations

import hashlib
from pathlib import Path

from synthetic.generate import GenerateOptions, generate
from synthetic.scales import ScaleName
from tests.synthetic.pos_reader import manifest


def digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_is_byte_identical(xs_dataset: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    generate(GenerateOptions(out=again, scale=ScaleName.xs, seed=42))
    first, second = digests(xs_dataset), digests(again)
    assert "erp.sqlite" in first and "manifest.json" in first and len(first) > 5000
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert not differing, differing[:10]


def test_another_seed_is_another_retailer(xs_dataset: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    generate(GenerateOptions(out=other, scale=ScaleName.xs, seed=43))
    first, second = digests(xs_dataset), digests(other)
    common_pos = [n for n in first.keys() & second.keys() if n.startswith("pos/")]
    assert common_pos
    assert sum(first[n] == second[n] for n in common_pos) == 0
    assert first["erp.sqlite"] != second["erp.sqlite"]


def test_pos_dialects_vary(xs_dataset: Path) -> None:
    dialects = manifest(xs_dataset)["pos_dialects"]
    assert {d["delimiter"] for d in dialects.values()} == {",", ";"}
    assert (
        len(
            {d["date_format"] for d in dialects.values()}
            | {d.get("date_format_before") for d in dialects.values()} - {None}
        )
        >= 3
    )
    latin = [store for store, d in dialects.items() if d["encoding"] == "latin-1"]
    assert len(latin) == 1
    raw = b"".join(p.read_bytes() for p in sorted(xs_dataset.glob(f"pos/*/pos_{latin[0]}_*.csv")))
    try:
        raw.decode("utf-8")
        raise AssertionError("the Latin-1 store's files decode as UTF-8: no accented names written")
    except UnicodeDecodeError:
        pass
    assert "é" in raw.decode("latin-1")
    switching = [d for d in dialects.values() if "date_format_before" in d]
    assert switching, "no store changes its date format mid-history"
