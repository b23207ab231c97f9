"""Bring your own data at full size: the three commands a user runs on Walmart Recruiting's 421,570 weekly
store × department rows, each timed as the user sees it (a fresh process, Spark's start-up included).

    RETAIL_DATA=../shared/data .venv/bin/python benchmarks/byod_walmart.py [--work DIR] [--models a,b]

1. `shelfcast ingest --dataset` (check, land into the lake, quarantine, audit),
2. `shelfcast transform --dataset` (dbt build of the dataset's staged, intermediate and mart models),
3. `shelfcast forecast --dataset` (backtest of every model, champion per level, write-back, forecast marts)

into a fresh data dir, with the shipped mapping. Prints a TSV table of seconds per step and the total
against the issue's aim (under 3 minutes on 2 cores), and the rows landed and forecast, read back from the
lake and the warehouse so a step that did less than its share cannot look fast.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MAPPING = ROOT / "ingestion" / "mapping" / "examples" / "walmart_recruiting.yml"
SOURCE_ROWS = 421_570
AIM_SECONDS = 180.0


def run_step(name: str, arguments: list[str], environment: dict[str, str], log: Path) -> float:
    shelfcast = Path(sys.executable).parent / "shelfcast"
    print(f"{name}: shelfcast {' '.join(arguments)} (log: {log})", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with log.open("w") as output:
        done = subprocess.run([str(shelfcast), *arguments], env=environment, stdout=output, stderr=output)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{name} failed after {seconds:.1f} s; its output is in {log}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--work", type=Path, help="data dir to use (default: a fresh temporary one)")
    parser.add_argument("--models", help="models to compare (default: forecast_models, all seven)")
    args = parser.parse_args()
    data = os.environ.get("RETAIL_DATA") or str(ROOT.parent / "shared" / "data")
    if not (Path(data) / "walmart_recruiting" / "train.csv").is_file():
        sys.exit(f"no walmart_recruiting/train.csv under {data}: set RETAIL_DATA to the folder holding it")
    with tempfile.TemporaryDirectory(prefix="shelfcast-byod-") as scratch:
        work = args.work or Path(scratch)
        work.mkdir(parents=True, exist_ok=True)
        environment = os.environ | {
            "RETAIL_DATA": data,
            "SHELFCAST_DATA_DIR": str(work / "data"),
            "SHELFCAST_WAREHOUSE_TARGET": "duckdb",
        }
        forecast = [
            "forecast",
            "--dataset",
            str(MAPPING),
            *(["--models", args.models] if args.models else []),
        ]
        steps = {
            "ingest": ["ingest", "--dataset", str(MAPPING)],
            "dbt build": ["transform", "--dataset", str(MAPPING)],
            "forecast": forecast,
        }
        seconds = {
            name: run_step(name, arguments, environment, work / f"{name.replace(' ', '_')}.log")
            for name, arguments in steps.items()
        }
        rows_in, clean, forecast_rows, series = counts(work / "data")
    total = sum(seconds.values())
    print("step\tseconds")
    for name, value in seconds.items():
        print(f"{name}\t{value:.1f}")
    print(f"total\t{total:.1f}")
    verdict = "met" if total < AIM_SECONDS else "NOT met"
    print(f"# aim: under {AIM_SECONDS:.0f} s for all three on 2 cores: {verdict}")
    print(f"# rows: {SOURCE_ROWS:,} in train.csv, {rows_in:,} read by the landing, {clean:,} clean")
    print(f"# forecast: {series:,} series, {forecast_rows:,} rows in walmart_recruiting_ml.ml_sales_forecast")


def counts(data_dir: Path) -> tuple[int, int, int, int]:
    """Rows the landing read and kept clean (its dataset row, its clean sales), rows and series forecast."""
    import duckdb

    from shelfcast.warehouse import install_duckdb_extensions

    install_duckdb_extensions()
    lake = data_dir / "lake" / "datasets" / "walmart_recruiting"
    with duckdb.connect() as con:
        con.execute("LOAD delta")
        rows_in = con.execute(f"select rows_in from delta_scan('{lake}/clean/dataset')").fetchone()[0]
        clean = con.execute(f"select count(*) from delta_scan('{lake}/clean/sales')").fetchone()[0]
    with duckdb.connect(str(data_dir / "warehouse" / "shelfcast.duckdb"), read_only=True) as con:
        rows, series = con.execute(
            "select count(*), count(distinct store_code || '|' || product_code) "
            "from walmart_recruiting_ml.ml_sales_forecast"
        ).fetchone()
    return int(rows_in), int(clean), int(rows), int(series)


if __name__ == "__main__":
    main()
