"""An `s3a://` lake works through the same code as a local folder: tested against moto's S3 server (the
real S3 API), with hadoop-aws from Maven Central, and the objects checked with boto3 rather than Spark."""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.support import free_port
from tests.synthetic.test_cli import run_cli

pytestmark = [pytest.mark.spark, pytest.mark.slow]

BUCKET = "shelfcast-lake"
PREFIX = "retail/prod"
DAY = dt.date(2023, 3, 1)


@dataclass
class S3:
    endpoint: str
    client: object

    def keys(self, prefix: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")  # type: ignore[attr-defined]
        return [
            obj["Key"]
            for page in paginator.paginate(Bucket=BUCKET, Prefix=prefix)
            for obj in page.get("Contents", [])
        ]

    def body(self, key: str) -> bytes:
        return self.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    import boto3

    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            client.create_bucket(Bucket=BUCKET)
            break
        except Exception:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise
            time.sleep(0.2)
    yield S3(endpoint, client)
    server.terminate()
    server.wait(timeout=10)


def active_files(s3: S3, table: str) -> dict[str, int]:
    """The table's live data files and their row counts, replayed from the Delta log objects."""
    log = f"{PREFIX}/{table}/_delta_log/"
    live: dict[str, int] = {}
    for key in sorted(k for k in s3.keys(log) if k.endswith(".json")):
        for line in s3.body(key).decode().splitlines():
            action = json.loads(line)
            if "add" in action:
                live[action["add"]["path"]] = json.loads(action["add"]["stats"])["numRecords"]
            elif "remove" in action:
                live.pop(action["remove"]["path"], None)
    return live


def audit_rows(s3: S3, dataset: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    # the dataset is a partition column: it lives in the object key, not in the file
    for path in active_files(s3, "audit/batches"):
        if path.startswith(f"dataset={dataset}/"):
            rows += pq.read_table(io.BytesIO(s3.body(f"{PREFIX}/audit/batches/{path}"))).to_pylist()
    return [row for row in rows if row["business_date"] == DAY]


def ingest_to_s3(s3: S3, xs_dataset: Path, data_dir: Path, *sources: str) -> subprocess.CompletedProcess[str]:
    conf = {
        "spark.hadoop.fs.s3a.endpoint": s3.endpoint,
        "spark.hadoop.fs.s3a.endpoint.region": "us-east-1",
        "spark.hadoop.fs.s3a.path.style.access": "true",
        "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
        "spark.hadoop.fs.s3a.access.key": "testing",
        "spark.hadoop.fs.s3a.secret.key": "testing",
    }
    args = [arg for source in sources for arg in ("--source", source)]
    return run_cli(
        "ingest",
        *args,
        "--date",
        DAY.isoformat(),
        "--lake",
        f"s3a://{BUCKET}/{PREFIX}",
        env={
            "SHELFCAST_DATA_DIR": str(data_dir),
            "SHELFCAST_SOURCES_DIR": str(xs_dataset),
            "SHELFCAST_SPARK_MASTER": "local[2]",
            "SHELFCAST_SPARK_CONF": json.dumps(conf),
        },
        timeout=900,
    )


def test_an_s3a_lake_lands_reconciles_and_reruns_without_duplicates(
    s3: S3, xs_dataset: Path, landed, tmp_path: Path
) -> None:
    first = ingest_to_s3(s3, xs_dataset, tmp_path, "erp", "pos")
    assert first.returncode == 0, first.stderr[-3000:]

    keys = s3.keys(PREFIX)
    assert f"{PREFIX}/clean/pos_lines/_delta_log/00000000000000000000.json" in keys
    assert any(k.startswith(f"{PREFIX}/clean/pos_lines/business_month=2023-03/") for k in keys)
    for zone_table in ("raw/pos_lines", "quarantine/rows", "clean/erp_products", "audit/batches"):
        assert any(k.startswith(f"{PREFIX}/{zone_table}/_delta_log/") for k in keys), zone_table

    clean_rows = sum(active_files(s3, "clean/pos_lines").values())
    [audit] = audit_rows(s3, "pos_lines")
    assert audit["reconciled"] and audit["status"] == "published"
    assert audit["rows_clean"] == clean_rows > 0
    # the same batch landed in a local folder counts the same rows
    [local] = [
        row
        for p in landed.report.publications
        if p.dataset == "pos_lines"
        for row in p.audit
        if row["business_date"] == DAY
    ]
    assert audit["rows_in"] == local["rows_in"]
    assert audit["batch_id"] == local["batch_id"]

    again = ingest_to_s3(s3, xs_dataset, tmp_path, "pos")
    assert again.returncode == 0, again.stderr[-3000:]
    assert sum(active_files(s3, "clean/pos_lines").values()) == clean_rows
    assert len(audit_rows(s3, "pos_lines")) == 1
    versions = [k for k in s3.keys(f"{PREFIX}/clean/pos_lines/_delta_log/") if k.endswith(".json")]
    assert len(versions) == 2, "the rerun is one more commit that replaces the batch's partition"
