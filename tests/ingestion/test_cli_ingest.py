"""`shelfcast ingest` as a user meets it: bad flags and missing inputs are one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.synthetic.test_cli import assert_one_line_error, run_cli


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--date", "2024-13-01"], ("--date '2024-13-01' is not a date or a range",)),
        (["--date", "2024-03-05:2024-03-01"], ("ends before it starts",)),
        (["--source", "kafka"], ("unknown source 'kafka'", "erp, pos, inventory, api")),
    ],
)
def test_bad_flags_are_refused_before_anything_starts(args: list[str], needles: tuple[str, ...]) -> None:
    assert_one_line_error(run_cli("ingest", *args, timeout=60), *needles)


@pytest.mark.spark
def test_missing_sources_are_named(tmp_path: Path) -> None:
    result = run_cli("ingest", "--source", "erp", env={"SHELFCAST_DATA_DIR": str(tmp_path)})
    assert_one_line_error(result, f"the ERP database {tmp_path.resolve()}/sources/erp.sqlite does not exist")


@pytest.mark.spark
def test_pos_lines_need_the_erp_first(tmp_path: Path, xs_dataset: Path) -> None:
    result = run_cli(
        "ingest",
        "--source",
        "pos",
        "--date",
        "2023-03-01",
        env={"SHELFCAST_DATA_DIR": str(tmp_path), "SHELFCAST_SOURCES_DIR": str(xs_dataset)},
    )
    assert_one_line_error(result, "erp_stores is not in the lake", "shelfcast ingest --source erp")
