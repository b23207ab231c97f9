"""Each dashboard's full render time in headless Chromium at a scale: from navigation until every chart has
its data and is drawing, with Superset's chart cache cold (emptied first) and then warm.

    .venv/bin/python benchmarks/dashboards.py --warehouse /tmp/shelfcast-bench/s/forecast [--repeat 3]

`--warehouse` is a data dir holding `warehouse/shelfcast.duckdb` after `shelfcast forecast` (e.g. the one
benchmarks/forecast.py leaves); it is copied, Superset is set up over the copy on a free port, and stopped at
the end. Figures go to stdout as TSV.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dashboards.server import bundled_dashboards, refresh, stop, up
from shelfcast.config import load_settings
from shelfcast.warehouse import duckdb_path
from tests.dashboards.browser import chromium, log_in, render
from tests.support import free_port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shelfcast-dashboards-bench-"))
    settings = load_settings(data_dir=work)
    duckdb_path(settings).parent.mkdir(parents=True)
    shutil.copyfile(args.warehouse / "warehouse" / "shelfcast.duckdb", duckdb_path(settings))
    os.environ["SUPERSET_ADMIN_PASSWORD"] = password = "bench-admin-password"
    os.environ["SUPERSET_DEMO_PASSWORD"] = "bench-demo-password"
    started = up(settings, "127.0.0.1", free_port(), lambda line: print(line, file=sys.stderr))
    print("dashboard\tcharts\tcache\trenders\tmedian_s\tmax_s")
    try:
        with chromium() as browser:
            page = log_in(browser, started.url, "admin", password)
            for slug in bundled_dashboards():
                for cache in ("cold", "warm"):
                    seconds = []
                    for _ in range(args.repeat):
                        if cache == "cold":
                            refresh(settings, lambda _line: None)
                        rendered = render(page, started.url, slug)
                        if rendered.errors:
                            raise SystemExit(f"{slug}: {rendered.errors}")
                        seconds.append(rendered.seconds)
                    print(
                        f"{slug}\t{rendered.charts}\t{cache}\t{len(seconds)}\t"
                        f"{statistics.median(seconds):.2f}\t{max(seconds):.2f}",
                        flush=True,
                    )
    finally:
        stop(settings)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
