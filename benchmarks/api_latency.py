"""API latency under load: p50/p99 at 50 and 200 requests/s against `shelfcast serve` on 127.0.0.1.

    .venv/bin/python benchmarks/api_latency.py [--scale s] [--rates 50 200] [--seconds 60] [--work DIR]

The warehouse is the scale's forecasted DuckDB warehouse of benchmarks/forecast.py (built the first time:
landing, `dbt build`, `shelfcast forecast`). The API runs as users run it, one uvicorn process; the load
is Locust (headless, bounded: each user one request per second on average, Poisson arrivals, for
`--seconds`), on the same machine. Figures go to stdout as TSV: per rate and request kind, requests,
failures, p50, p99, max (ms).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.keys import KeyStore, key_store_path
from benchmarks.dbt_build import landed_lake
from shelfcast.config import Settings, load_settings
from shelfcast.warehouse import duckdb_path
from tests.support import free_port, wait_for_http

HERE = Path(__file__).resolve().parent


def forecasted_warehouse(scale: str, work: Path, master: str) -> Settings:
    """The scale's warehouse with forecasts, built (landing, dbt, forecast) only when it is not there."""
    settings = load_settings(data_dir=work / scale / "forecast", spark_master=master)
    if duckdb_path(settings).exists():
        return settings
    from ml.run import run_forecast
    from shelfcast.dbt import build_warehouse

    lake = landed_lake(scale, work, master)
    settings = lake.model_copy(update={"data_dir": work / scale / "forecast", "lake_uri": lake.lake})
    build_warehouse(settings)
    run_forecast(settings, lambda line: print(line, file=sys.stderr))
    return settings


def codes(path: Path) -> tuple[list[str], list[str]]:
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        stores = [r[0] for r in con.execute("select store_code from dim_store order by 1").fetchall()]
        products = [
            r[0]
            for r in con.execute("select distinct product_code from fct_sales_forecast order by 1").fetchall()
        ]
    finally:
        con.close()
    return stores, products


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="s")
    parser.add_argument("--rates", nargs="+", type=int, default=[50, 200])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "shelfcast-bench")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--workers", type=int, default=1, help="`shelfcast serve --workers`")
    args = parser.parse_args()
    settings = forecasted_warehouse(args.scale, args.work, args.master)
    stores, products = codes(duckdb_path(settings))
    keys = KeyStore(key_store_path(settings.data_dir))
    keys.revoke("latency-benchmark")
    key = keys.create("latency-benchmark")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHELFCAST_")}
    env["SHELFCAST_DATA_DIR"] = str(settings.data_dir)
    # the server's log to a file: a pipe nobody reads fills with the first errors' tracebacks and then
    # blocks the server, and every later request times out
    server_log = settings.data_dir / "api" / "latency-benchmark-serve.log"
    server_log.parent.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [sys.executable, "-m", "shelfcast.cli", "serve", "--port", str(port), "--workers", str(args.workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=server_log.open("w"),
        text=True,
    )
    print(f"server log: {server_log}", file=sys.stderr)
    print(f"workers: {args.workers}", file=sys.stderr)
    print("rate\trequest\trequests\tfailures\tp50_ms\tp99_ms\tmax_ms")
    try:
        if wait_for_http(f"{base}/health", server).status_code != 200:
            raise SystemExit("the API answers /health with an error: is the warehouse built?")
        load_env = env | {
            "SHELFCAST_BENCH_KEY": key,
            "SHELFCAST_BENCH_STORES": ",".join(stores),
            "SHELFCAST_BENCH_PRODUCTS": ",".join(products),
        }
        for rate in args.rates:
            with tempfile.TemporaryDirectory() as out:
                prefix = Path(out) / "stats"
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "locust",
                        "-f",
                        str(HERE / "api_locustfile.py"),
                        "--headless",
                        "--host",
                        base,
                        "--users",
                        str(rate),
                        "--spawn-rate",
                        str(rate),
                        "--run-time",
                        f"{args.seconds}s",
                        "--csv",
                        str(prefix),
                        "--only-summary",
                        "--loglevel",
                        "WARNING",
                        "--stop-timeout",
                        "10",
                    ],
                    env=load_env,
                    check=False,
                    stdout=subprocess.DEVNULL,
                )
                with (Path(out) / "stats_stats.csv").open() as stats:
                    for row in csv.DictReader(stats):
                        print(
                            f"{rate}/s\t{row['Name']}\t{row['Request Count']}\t{row['Failure Count']}\t"
                            f"{row['50%']}\t{row['99%']}\t{float(row['Max Response Time']):.0f}",
                            flush=True,
                        )
    finally:
        server.terminate()
        server.wait(timeout=30)
        keys.revoke("latency-benchmark")


if __name__ == "__main__":
    main()
