"""The `shelfcast` command as a user meets it: one-line errors, exit codes, nothing half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synthetic.generate import MANIFEST


def run_cli(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "shelfcast.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_help_lists_generate_and_configuration() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    assert "generate" in result.stdout and "SHELFCAST_" in result.stdout


def test_unknown_scale_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("generate", "--scale", "xxl", "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "'xxl' is not one of" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_negative_seed_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("generate", "--scale", "xs", "--seed", "-1", "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and "--seed" in result.stderr and "Traceback" not in result.stderr


def test_seed_out_of_range_in_config_names_the_source(tmp_path: Path) -> None:
    result = run_cli(
        "generate", "--scale", "xs", "--out", str(tmp_path / "out"), env={"SHELFCAST_SEED": str(2**64)}
    )
    assert_one_line_error(result, "seed", "SHELFCAST_SEED")


def test_unwritable_output_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_cli("generate", "--scale", "xs", "--out", str(blocker / "out"))
    assert_one_line_error(result, str(blocker), "--out")


def test_foreign_non_empty_folder_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    result = run_cli("generate", "--scale", "xs", "--out", str(tmp_path))
    assert_one_line_error(result, "not empty", "--out")
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_config_file_typo_suggests_the_key(tmp_path: Path) -> None:
    (tmp_path / "shelfcast.toml").write_text('scael = "xs"\n')
    result = run_cli("config", "show", cwd=tmp_path)
    assert_one_line_error(result, "scael", "did you mean 'scale'")


def test_config_file_bad_value_and_bad_toml(tmp_path: Path) -> None:
    config = tmp_path / "custom.toml"
    config.write_text('scale = "huge"\n')
    assert_one_line_error(run_cli("--config", str(config), "config", "show"), "scale", str(config))
    config.write_text("scale = xs\n")
    assert_one_line_error(run_cli("--config", str(config), "config", "show"), "not valid TOML")
    assert_one_line_error(
        run_cli("--config", str(tmp_path / "missing.toml"), "config", "show"), "does not exist"
    )


def test_environment_typo_is_caught() -> None:
    assert_one_line_error(run_cli("config", "show", env={"SHELFCAST_DATA_DIRR": "x"}), "SHELFCAST_DATA_DIR")


def test_precedence_default_file_env_flag(tmp_path: Path) -> None:
    (tmp_path / "shelfcast.toml").write_text('data_dir = "from-file"\nscale = "m"\n')
    shown = run_cli("config", "show", cwd=tmp_path, env={"SHELFCAST_SCALE": "xs", "COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    rows = {line.split("│")[1].strip(): line for line in shown.stdout.splitlines() if line.count("│") >= 4}
    assert "from-file" in rows["data_dir"] and "file" in rows["data_dir"]
    assert " xs " in rows["scale"] and "SHELFCAST_SCALE" in rows["scale"]
    assert "from-file/sources" in rows["(sources folder)"]


def test_generate_from_config_prints_counts_and_publishes(tmp_path: Path) -> None:
    (tmp_path / "shelfcast.toml").write_text('scale = "xs"\nseed = 7\ndata_dir = "d"\n')
    result = run_cli("generate", cwd=tmp_path, env={"COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "d" / "sources" / MANIFEST).read_text())
    assert manifest["seed"] == 7 and manifest["scale"]["name"] == "xs"
    assert f"{manifest['counts']['pos_files']:,}" in result.stdout
    assert f"{manifest['counts']['sale_lines']:,}" in result.stdout
    assert "days: 1096/1096" in result.stdout  # progress is logged when not on a terminal


def _wait_for(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _sigkill_mid_run(out: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shelfcast.cli",
            "generate",
            "--scale",
            "xs",
            "--seed",
            "3",
            "--out",
            str(out),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    partial = out.parent / f".{out.name}.partial-{process.pid}"
    _wait_for(lambda: (partial / "pos").exists() and sum(1 for _ in (partial / "pos").iterdir()) > 100)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_sigkill_leaves_no_complete_looking_output(tmp_path: Path) -> None:
    out = tmp_path / "sources"
    _sigkill_mid_run(out)
    assert not out.exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert all(name.startswith(".sources.partial-") for name in leftovers), leftovers

    result = run_cli("generate", "--scale", "xs", "--seed", "3", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert (out / MANIFEST).is_file()
    time.sleep(0.5)  # the orphaned writer of the killed run notices its closed pipe and exits
    assert [p.name for p in tmp_path.iterdir()] == ["sources"]


def test_sigkill_during_regeneration_keeps_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "sources"
    assert run_cli("generate", "--scale", "xs", "--seed", "1", "--out", str(out)).returncode == 0
    before = (out / MANIFEST).read_bytes()
    _sigkill_mid_run(out)
    assert (out / MANIFEST).read_bytes() == before
    assert json.loads(before)["seed"] == 1


@pytest.mark.slow
@pytest.mark.extended
def test_generate_scale_s_meets_the_demo_shape(tmp_path: Path) -> None:
    result = run_cli("generate", "--scale", "s", "--out", str(tmp_path / "s"), timeout=900)
    assert result.returncode == 0, result.stderr
    counts = json.loads((tmp_path / "s" / MANIFEST).read_text())["counts"]
    assert 1_000_000 <= counts["sale_lines"] <= 2_000_000
    assert counts["stores"] == 50 and counts["products"] == 500
