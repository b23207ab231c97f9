"""`shelfcast forecast` per scale: wall time of each phase and every model's backtest accuracy.

    .venv/bin/python benchmarks/forecast.py --scale s [--work DIR] [--cutoffs 3] [--horizon 28]

Per scale: the retailer is generated, landed (as in benchmarks/ingest.py) and built into a DuckDB warehouse
under `<work>/<scale>/forecast/` once; later runs reuse them. Then the forecast runs as the command does:
read the features, build the panel, backtest every model, refit the champion, write the tables back and
log the MLflow run. Figures go to stdout as TSV (phase timings, then per model and level the scores and the
last cutoff's interval coverage; * marks each level's champion). `--models` picks the models compared.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.dbt_build import landed_lake
from ml.panel import panel_from_frame
from ml.run import run_forecast
from ml.warehouse import read_features
from shelfcast.dbt import build_warehouse
from shelfcast.warehouse import duckdb_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", nargs="+", default=["s"])
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "shelfcast-bench")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--cutoffs", type=int, default=3)
    parser.add_argument("--horizon", type=int, default=28)
    parser.add_argument("--models", default=None, help="comma-separated; default: forecast_models")
    args = parser.parse_args()
    print("scale\tphase\tseconds")
    for scale in args.scale:
        lake = landed_lake(scale, args.work, args.master)
        settings = lake.model_copy(
            update={
                "data_dir": args.work / scale / "forecast",
                "lake_uri": lake.lake,
                "forecast_horizon": args.horizon,
                **({"forecast_models": args.models.split(",")} if args.models else {}),
            }
        )
        if not duckdb_path(settings).exists():
            build_warehouse(settings)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        frame = read_features(settings)
        timings["read features"] = time.perf_counter() - started
        started = time.perf_counter()
        panel_from_frame(frame)
        timings["build panel"] = time.perf_counter() - started
        del frame
        started = time.perf_counter()
        outcome = run_forecast(settings, lambda line: print(line, file=sys.stderr), args.cutoffs)
        timings["shelfcast forecast, end to end"] = time.perf_counter() - started
        backtests = {m: s for m, s in outcome.run.backtest.seconds.items() if m != "ensemble"}
        for model, seconds in backtests.items():
            timings[f"backtest {model}"] = seconds
        # the run's own clock: backtests, then the champion's final fit and its intervals
        timings["final fit + intervals"] = outcome.run.seconds - sum(backtests.values())
        timings["backtest of every model + final fit"] = outcome.run.seconds
        for phase, seconds in timings.items():
            print(f"{scale}\t{phase}\t{seconds:.1f}")
        print(f"{scale}\t(series)\t{outcome.series}")
        metrics = outcome.run.backtest.metrics
        overall = metrics[metrics["horizon_bucket"] == "all"]
        print("\nscale\tmodel\tlevel\tmethod\trmsse\twape\tmase\tmae\tbias\tcoverage_80\tcoverage_95")
        for row in overall.itertuples(index=False):
            champion = row.model == outcome.run.champions[row.level]
            print(
                f"{scale}\t{row.model}{'*' if champion else ''}\t{row.level}\t{row.method}\t"
                f"{row.rmsse:.3f}\t{row.wape:.3f}\t{row.mase:.3f}\t{row.mae:.3f}\t{row.bias:+.3f}\t"
                f"{getattr(row, 'coverage_80', float('nan')):.3f}\t"
                f"{getattr(row, 'coverage_95', float('nan')):.3f}"
            )


if __name__ == "__main__":
    main()
