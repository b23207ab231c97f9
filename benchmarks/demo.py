"""`make demo`'s wall time per step, the install apart: the commands the Makefile's demo target runs, in a
fresh data dir, each timed; `shelfcast run`'s own table splits the pipeline into its Dagster steps.

    .venv/bin/python benchmarks/demo.py [--work /tmp/shelfcast-bench/demo] [--scale s]

Ports are chosen free, so the demo servers of a running `make demo` are left alone; the servers this run
starts are stopped at the end. Figures go to stdout as TSV.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support import free_port  # noqa: E402

# `shelfcast run` prints its steps as a rich table: "│ step │ status │ seconds │"
STEP_ROW = re.compile(r"│\s*(\S+)\s*│\s*(success|failure|skipped)\s*│\s*([\d.]+)\s*│")


def timed(label: str, command: list[str], env: dict[str, str], log: Path) -> tuple[float, str]:
    started = time.perf_counter()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        out.write(result.stdout + result.stderr)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{label} failed ({result.returncode}); see {log}")
    return seconds, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "shelfcast-bench" / "demo")
    parser.add_argument("--scale", default="s")
    args = parser.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    log = args.work / "demo.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")} | {
        "SHELFCAST_DATA_DIR": str(args.work / "data"),
        "SHELFCAST_SCALE": args.scale,
        "SHELFCAST_SOURCES_PORT": str(free_port()),
        **{f"{name}_PORT": str(free_port()) for name in ("API", "MLFLOW", "DOCS", "DAGSTER", "SUPERSET")},
    }
    bin_dir = ROOT / ".venv" / "bin"
    print("step\tseconds")
    total = 0.0
    seconds, _ = timed("generate", [str(bin_dir / "shelfcast"), "generate"], env, log)
    print(f"shelfcast generate\t{seconds:.1f}", flush=True)
    total += seconds
    seconds, output = timed(
        "run", ["scripts/with-sources-server.sh", str(bin_dir / "shelfcast"), "run"], env, log
    )
    for step, status, step_seconds in STEP_ROW.findall(output):
        print(f"  shelfcast run: {step} ({status})\t{float(step_seconds):.1f}")
    print(f"shelfcast run (whole graph)\t{seconds:.1f}", flush=True)
    total += seconds
    try:
        seconds, _ = timed("servers", ["scripts/demo-servers.sh"], env, log)
        print(f"scripts/demo-servers.sh (Superset import and every UI up)\t{seconds:.1f}", flush=True)
        total += seconds
    finally:
        subprocess.run(
            ["scripts/demo-servers.sh", "--stop"], cwd=ROOT, env=env, capture_output=True, check=False
        )
    print(f"make demo without the install\t{total:.1f}")


if __name__ == "__main__":
    main()
