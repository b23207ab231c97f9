"""The dashboards bundle as files, without Superset: every reference resolves (a dashboard never skips a chart
on import), every uuid is unique (a re-import never duplicates), every dataset reads a dbt mart, every
dashboard has a dbt exposure listing what it reads, and the warehouse URI and schema are placeholders."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from dashboards.server import ASSETS, SCHEMA_PLACEHOLDER, URI_PLACEHOLDER

ROOT = Path(__file__).resolve().parents[2]


def load(kind: str) -> dict[str, dict]:
    return {
        str(p.relative_to(ASSETS)): yaml.safe_load(p.read_text()) for p in (ASSETS / kind).rglob("*.yaml")
    }


def chart_nodes(dashboard: dict) -> list[dict]:
    return [
        node for node in dashboard["position"].values() if isinstance(node, dict) and node["type"] == "CHART"
    ]


def test_every_uuid_is_unique_and_every_reference_resolves() -> None:
    databases, datasets, charts, dashboards = (
        load(k) for k in ("databases", "datasets", "charts", "dashboards")
    )
    uuids = Counter(
        str(spec["uuid"]) for group in (databases, datasets, charts, dashboards) for spec in group.values()
    )
    assert [uuid for uuid, n in uuids.items() if n > 1] == []
    database_uuids = {d["uuid"] for d in databases.values()}
    assert all(d["database_uuid"] in database_uuids for d in datasets.values())
    dataset_uuids = {d["uuid"] for d in datasets.values()}
    assert all(c["dataset_uuid"] in dataset_uuids for c in charts.values())
    chart_uuids = {c["uuid"] for c in charts.values()}
    placed = [node["meta"]["uuid"] for d in dashboards.values() for node in chart_nodes(d)]
    assert set(placed) <= chart_uuids, "a dashboard places a chart the bundle lacks: the import would skip it"
    assert chart_uuids <= set(placed), "a chart on no dashboard"
    for dashboard in dashboards.values():
        # the importer maps a filter's excluded charts to their new ids through the position's chartIds
        chart_ids = [node["meta"]["chartId"] for node in chart_nodes(dashboard)]
        for native in dashboard["metadata"]["native_filter_configuration"]:
            for target in native["targets"]:
                assert target.get("datasetUuid", next(iter(dataset_uuids))) in dataset_uuids, native["name"]
            excluded = native["scope"]["excluded"]
            assert set(excluded) <= set(chart_ids), f"{dashboard['slug']}: {native['name']} excludes no chart"
            assert not excluded or len(set(chart_ids)) == len(chart_ids), "excluded charts need distinct ids"
    slugs = [d["slug"] for d in dashboards.values()]
    assert len(set(slugs)) == len(slugs)


def test_the_warehouse_is_a_placeholder_and_datasets_read_marts() -> None:
    (database,) = load("databases").values()
    assert database["sqlalchemy_uri"] == URI_PLACEHOLDER and database["allow_dml"] is False
    marts = {p.stem for p in (ROOT / "dbt_project" / "models" / "marts").glob("*.sql")}
    for dataset in load("datasets").values():
        assert dataset["schema"] == SCHEMA_PLACEHOLDER and dataset["sql"] is None
        assert dataset["table_name"] in marts, dataset["table_name"]
        assert dataset["main_dttm_col"], f"{dataset['table_name']}: the date range filter needs a date column"


def test_every_dashboard_has_a_dbt_exposure_naming_what_it_reads() -> None:
    exposures = yaml.safe_load((ROOT / "dbt_project" / "models" / "marts" / "__exposures.yml").read_text())
    by_url = {e["url"].rstrip("/").rsplit("/", 1)[1]: e for e in exposures["exposures"]}
    datasets = {d["uuid"]: d["table_name"] for d in load("datasets").values()}
    charts = {c["uuid"]: datasets[c["dataset_uuid"]] for c in load("charts").values()}
    for dashboard in load("dashboards").values():
        exposure = by_url[dashboard["slug"]]
        assert exposure["type"] == "dashboard" and exposure["label"] == dashboard["dashboard_title"]
        reads = {charts[node["meta"]["uuid"]] for node in chart_nodes(dashboard)} | {"dim_store"}
        assert {ref.split("'")[1] for ref in exposure["depends_on"]} == reads
    assert len(by_url) == len(load("dashboards"))
