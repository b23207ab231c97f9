"""Ingestion throughput per source on local Spark, beside DuckDB turning the same CSVs into Parquet.

    .venv/bin/python benchmarks/ingest.py --scale s m [--source inventory …] [--master local[2]] [--work DIR]

Per scale: generate the retailer (reused when its manifest matches), serve its REST source, land every
source into a fresh lake in a fresh Spark session, and print rows/s per dataset. DuckDB then reads the same
POS and inventory files (all fields as text, per dialect) and writes Parquet: the hardware's reference for a
plain CSV-to-Parquet copy. Figures go to stdout as a TSV table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestion.run import SourceName, ingest
from shelfcast.config import load_settings
from shelfcast.spark import get_spark
from synthetic.generate import GenerateOptions, generate
from synthetic.scales import ScaleName
from tests.support import start_rest_server


def sources_for(scale: str, work: Path) -> Path:
    out = work / scale / "sources"
    manifest = out / "manifest.json"
    if manifest.is_file() and json.loads(manifest.read_text())["scale"]["name"] == scale:
        return out
    print(f"generating scale {scale} into {out}", file=sys.stderr, flush=True)
    generate(GenerateOptions(out=out, scale=ScaleName(scale), seed=42))
    return out


def duckdb_reference(sources: Path, target: Path) -> dict[str, tuple[int, float]]:
    """Rows and seconds for DuckDB copying the POS and inventory CSVs to Parquet, dialect by dialect."""
    import duckdb

    manifest = json.loads((sources / "manifest.json").read_text())
    dialects: dict[tuple[str, str], list[str]] = {}
    for store, dialect in manifest["pos_dialects"].items():
        key = (dialect["delimiter"], "latin-1" if dialect["encoding"] == "latin-1" else "utf-8")
        dialects.setdefault(key, []).append(str(sources / "pos" / "*" / f"pos_{store}_*.csv"))
    results = {}
    con = duckdb.connect()
    con.execute("SET threads = 2")
    started, rows = time.perf_counter(), 0
    for i, ((delimiter, encoding), globs) in enumerate(sorted(dialects.items())):
        out = target / f"pos_{i}.parquet"
        con.execute(
            f"COPY (SELECT * FROM read_csv({globs!r}, delim={delimiter!r}, encoding={encoding!r}, "
            f"header=true, all_varchar=true, filename=true)) TO '{out}' (FORMAT parquet)"
        )
        rows += con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]
    results["pos_lines"] = (rows, time.perf_counter() - started)
    started = time.perf_counter()
    out = target / "inventory.parquet"
    con.execute(
        f"COPY (SELECT * FROM read_csv('{sources}/inventory/*.csv', header=true, all_varchar=true, "
        f"filename=true)) TO '{out}' (FORMAT parquet)"
    )
    results["inventory_snapshots"] = (
        con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0],
        time.perf_counter() - started,
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", nargs="+", default=["s"], choices=[s.value for s in ScaleName])
    parser.add_argument("--master", default="local[2]")
    parser.add_argument(
        "--source", nargs="+", default=[s.value for s in SourceName], choices=[s.value for s in SourceName]
    )
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "shelfcast-bench")
    parser.add_argument(
        "--reuse-lake",
        action="store_true",
        help="land into the scale's existing lake (e.g. only --source inventory over a lake with the ERP)",
    )
    args = parser.parse_args()
    print("scale\tdataset\tengine\trows\tseconds\trows_per_s")
    for scale in args.scale:
        sources = sources_for(scale, args.work)
        data_dir = args.work / scale / "ingest"
        if not args.reuse_lake:
            shutil.rmtree(data_dir, ignore_errors=True)
        server = start_rest_server(sources)
        try:
            settings = load_settings(
                data_dir=data_dir, sources_dir=sources, spark_master=args.master, sources_port=server.port
            )
            started = time.perf_counter()
            spark = get_spark(settings, "shelfcast-bench")
            print(f"{scale}\t(session start)\tspark\t0\t{time.perf_counter() - started:.1f}\t", flush=True)
            timings: dict[str, float] = {}

            def log(line: str, timings: dict[str, float] = timings) -> None:
                name, seconds = line.split()[0], float(line.rsplit(" s", 1)[0].split()[-1])
                timings[name] = seconds
                print(line, file=sys.stderr, flush=True)

            report = ingest(spark, settings, [SourceName(s) for s in args.source], None, log)
            for publication in report.publications:
                rows = publication.totals()["rows_in"]
                seconds = timings[publication.dataset]
                print(f"{scale}\t{publication.dataset}\tspark\t{rows}\t{seconds:.1f}\t{rows / seconds:.0f}")
            total_rows = sum(p.totals()["rows_in"] for p in report.publications)
            total = sum(report.seconds.values())
            print(
                f"{scale}\t(all sources)\tspark\t{total_rows}\t{total:.1f}\t{total_rows / total:.0f}",
                flush=True,
            )
            spark.stop()
        finally:
            server.stop()
        with tempfile.TemporaryDirectory() as target:
            for dataset, (rows, seconds) in duckdb_reference(sources, Path(target)).items():
                print(f"{scale}\t{dataset}\tduckdb csv->parquet\t{rows}\t{seconds:.1f}\t{rows / seconds:.0f}")


if __name__ == "__main__":
    main()
