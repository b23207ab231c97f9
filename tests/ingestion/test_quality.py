"""The Great Expectations gate across runs: datasets validated on Spark and on pandas, in any order, keep
working in one data dir (a data source re-created for one dataset must not orphan another's checkpoint)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingestion.quality as quality
from ingestion.lake import MONTH, Lake, Zone

pytestmark = pytest.mark.spark


def test_checkpoints_survive_other_datasets_and_engine_switches(
    spark, landed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = Lake(landed.settings.lake)
    # the rows as publishing validates them: before the lake adds its partition column
    lines = lake.read(spark, Zone.clean, "pos_lines").drop(MONTH).limit(50)
    inventory = lake.read(spark, Zone.clean, "inventory_snapshots").drop(MONTH).limit(50)

    monkeypatch.setattr(quality, "PANDAS_MAX_ROWS", 0)  # big batches: validated on Spark
    assert quality.validate(lines, "pos_lines", tmp_path).rejected == {}
    assert quality.validate(inventory, "inventory_snapshots", tmp_path).rejected == {}
    # the next run: a new process opens the context again
    monkeypatch.setattr(quality, "_CONTEXTS", {})
    monkeypatch.setattr(quality, "_DOCS_PENDING", {})
    # a small relanded day of the first dataset goes through pandas, then a big one through Spark again
    monkeypatch.setattr(quality, "PANDAS_MAX_ROWS", 10**9)
    assert quality.validate(lines, "pos_lines", tmp_path).rejected == {}
    monkeypatch.setattr(quality, "PANDAS_MAX_ROWS", 0)
    verdict = quality.validate(lines, "pos_lines", tmp_path)
    assert verdict.rejected == {} and verdict.summary
    # Data Docs are rendered when the run ends, for every validation of the run
    assert not Path(verdict.docs).exists()
    assert quality.build_docs(tmp_path) == Path(verdict.docs)
    assert Path(verdict.docs).is_file()
    pages = list(Path(verdict.docs).parent.glob("validations/**/*.html"))
    assert len(pages) == 2, pages  # the run after the new process: pos_lines on pandas, then on Spark
