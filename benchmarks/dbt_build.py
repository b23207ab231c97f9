"""`dbt build` time per scale and engine, dbt's overhead on DuckDB, and incremental runs against full ones.

    .venv/bin/python benchmarks/dbt_build.py --scale s m [--engine duckdb spark postgres] [--work DIR]

Per scale: the retailer is generated and landed once (reused afterwards, as in benchmarks/ingest.py). Then
per engine, in a fresh data dir: a full `shelfcast transform` (freshness + `dbt build`, with the PostgreSQL
load where it applies) and, after relanding the last POS day (same rows, new batch), an incremental one.
On DuckDB the models' compiled SQL is also replayed straight in DuckDB, in dbt's order, as
`create table/view … as` statements: the ratio of the two is what dbt adds. dbt logs as it runs; the
figures come last, as a TSV table after a `figures:` line (and on stderr as they are measured).
PostgreSQL uses the libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE, DBT_ENV_SECRET_PG_PASSWORD).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.ingest import sources_for
from ingestion.lake import Lake, Zone
from ingestion.run import SourceName, ingest
from shelfcast.config import Settings, WarehouseTarget, load_settings
from shelfcast.dbt import build_warehouse, dbt_artefacts, run_in_duckdb_build
from shelfcast.spark import get_spark
from tests.support import start_rest_server


def landed_lake(scale: str, work: Path, master: str) -> Settings:
    """Settings whose lake holds the whole retailer at `scale`, landing it the first time."""
    sources = sources_for(scale, work)
    settings = load_settings(data_dir=work / scale / "ingest", sources_dir=sources, spark_master=master)
    if not (Path(settings.lake) / "audit" / "batches").is_dir():
        server = start_rest_server(sources)
        try:
            settings = settings.model_copy(update={"sources_port": server.port})
            report = ingest(get_spark(settings, "bench-land"), settings, list(SourceName), None, print)
            if report.failures:
                raise SystemExit(f"landing failed: {report.failures}")
        finally:
            server.stop()
    return settings


def reland_last_day(settings: Settings) -> None:
    spark = get_spark(settings, "bench-land")
    last = Lake(settings.lake).read(spark, Zone.clean, "pos_lines").agg({"business_date": "max"}).first()[0]
    ingest(spark, settings, [SourceName.pos], [last], lambda line: None)


def replay_in_duckdb(target_dir: Path, lake_root: str) -> float:
    """Seconds to run the models' compiled SQL, in dbt's order, straight in a fresh DuckDB file."""
    import duckdb

    results = json.loads((target_dir / "run_results.json").read_text())["results"]
    manifest = json.loads((target_dir / "manifest.json").read_text())["nodes"]
    models = [r for r in results if r["unique_id"].startswith("model.") and r.get("relation_name")]
    database = models[0]["relation_name"].split(".")[0].strip('"')
    with tempfile.TemporaryDirectory() as folder:
        con = duckdb.connect()
        con.execute("load delta")
        con.execute(f"attach '{folder}/replay.duckdb' as \"{database}\"")
        con.execute(f'use "{database}"')
        started = time.perf_counter()
        for result in models:
            kind = manifest[result["unique_id"]]["config"]["materialized"]
            ddl = "view" if kind == "view" else "table"
            con.execute(f"create or replace {ddl} {result['relation_name']} as {result['compiled_code']}")
        seconds = time.perf_counter() - started
        con.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", nargs="+", default=["s"])
    parser.add_argument("--engine", nargs="+", default=["duckdb", "spark", "postgres"])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "shelfcast-bench")
    args = parser.parse_args()
    figures = ["scale\tengine\tfigure\tvalue"]

    def record(scale: str, engine: str, figure: str, value: str) -> None:
        figures.append(f"{scale}\t{engine}\t{figure}\t{value}")
        print(figures[-1], file=sys.stderr, flush=True)

    for scale in args.scale:
        lake = landed_lake(scale, args.work, args.master)
        for engine in args.engine:
            data_dir = Path(tempfile.mkdtemp(prefix=f"dbt-{scale}-{engine}-", dir=args.work))
            settings = lake.model_copy(
                update={
                    "data_dir": data_dir,
                    "lake_uri": str(Path(lake.lake).resolve()),
                    "warehouse_target": WarehouseTarget(engine),
                }
            )
            full = build_warehouse(settings, full_refresh=True)
            record(scale, engine, "full build s", f"{full.seconds:.1f}")
            if engine == "duckdb":
                # models only, no tests, as the replay runs only models
                models = run_in_duckdb_build(settings, ["run", "--full-refresh"])
                replay = replay_in_duckdb(dbt_artefacts(settings) / "target", str(lake.lake))
                record(scale, engine, "dbt run (models) s", f"{models.seconds:.1f}")
                record(scale, engine, "same SQL straight in DuckDB s", f"{replay:.1f}")
                record(scale, engine, "dbt / straight ratio", f"{models.seconds / replay:.2f}")
            reland_last_day(lake)
            incremental = build_warehouse(settings)
            record(scale, engine, "incremental build s", f"{incremental.seconds:.1f}")
            record(scale, engine, "incremental / full", f"{incremental.seconds / full.seconds:.0%}")
    print("figures:", *figures, sep="\n", flush=True)


if __name__ == "__main__":
    main()
