"""Benchmark the synthetic data generator: wall time, rows/s and peak memory per scale.

    python benchmarks/generate.py --scale s --scale m [--out-root /tmp/shelfcast-bench] [--keep]

Each scale runs `shelfcast generate` in a fresh process; memory is sampled from /proc every 0.2 s and
summed over the process tree (the generator and its POS writer), so the peak is what the machine holds.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path


def _rss_kib(pid: int) -> int:
    try:
        with Path(f"/proc/{pid}/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    pids, frontier = [pid], [pid]
    while frontier:
        current = frontier.pop()
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                kids = [int(k) for k in (task / "children").read_text(encoding="ascii").split()]
                pids.extend(kids)
                frontier.extend(kids)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return pids


class TreeMemory(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak_kib, self.peak_single_kib, self.done = pid, 0, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            sizes = [_rss_kib(p) for p in _tree(self.pid)]
            self.peak_kib = max(self.peak_kib, sum(sizes))
            self.peak_single_kib = max(self.peak_single_kib, max(sizes, default=0))


def _du(path: Path) -> tuple[int, int]:
    files = size = 0
    for root, _, names in os.walk(path):
        for name in names:
            files += 1
            size += (Path(root) / name).stat().st_size
    return files, size


def bench(scale: str, out_root: Path, years: int, keep: bool) -> dict[str, object]:
    out = out_root / f"gen-{scale}"
    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")}
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "shelfcast.cli",
            "generate",
            "--scale",
            scale,
            "--out",
            str(out),
            "--years",
            str(years),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    memory = TreeMemory(process.pid)
    memory.start()
    log, _ = process.communicate()
    seconds = time.perf_counter() - started
    memory.done.set()
    memory.join()
    if process.returncode != 0:
        raise SystemExit(f"generate --scale {scale} failed:\n{log}")
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    files, size = _du(out)
    if not keep:
        shutil.rmtree(out)
    rows = (
        counts["pos_rows"]
        + counts["inventory_rows"]
        + counts["purchase_order_lines"]
        + counts["goods_receipts"]
    )
    return {
        "scale": scale,
        "years": years,
        "seconds": round(seconds, 1),
        "pos_lines": counts["pos_rows"],
        "all_rows": rows,
        "pos_lines_per_s": round(counts["pos_rows"] / seconds),
        "rows_per_s": round(rows / seconds),
        "peak_rss_mib": round(memory.peak_kib / 1024),
        "peak_rss_one_process_mib": round(memory.peak_single_kib / 1024),
        "files": files,
        "output_mib": round(size / 2**20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", action="append", choices=["xs", "s", "m", "l"], help="repeatable [s, m]")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--out-root", type=Path, default=Path("/tmp/shelfcast-bench"))
    parser.add_argument("--keep", action="store_true", help="keep the generated folders")
    args = parser.parse_args()
    args.out_root.mkdir(parents=True, exist_ok=True)
    header = (
        "scale",
        "years",
        "seconds",
        "pos_lines",
        "all_rows",
        "pos_lines_per_s",
        "rows_per_s",
        "peak_rss_mib",
        "peak_rss_one_process_mib",
        "files",
        "output_mib",
    )
    print("\t".join(header), flush=True)
    for scale in args.scale or ["s", "m"]:
        result = bench(scale, args.out_root, args.years, args.keep)
        print("\t".join(str(result[k]) for k in header), flush=True)


if __name__ == "__main__":
    main()
