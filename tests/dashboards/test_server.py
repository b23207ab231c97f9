"""`shelfcast dashboards up` over time: a re-import updates in place (no duplicate, no skipped chart), a
broken bundle or a missing mart is a one-line error that leaves the running dashboards as they were, a taken
port is named, and the refresh after a rebuild empties the chart cache."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import duckdb
import httpx
import pytest
import yaml

import dashboards.server as server
from shelfcast.errors import ShelfcastError
from shelfcast.warehouse import duckdb_path
from tests.support import free_port
from tests.synthetic.test_cli import assert_one_line_error, run_cli

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def counts(superset) -> dict[str, int]:
    token = superset.token("admin")
    return {
        kind: superset.get(f"/api/v1/{kind}/", token).json()["count"]
        for kind in ("chart", "dashboard", "dataset")
    }


def bundle_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "assets"
    shutil.copytree(server.ASSETS, copy)
    return copy


def test_a_reimport_updates_charts_in_place_and_duplicates_nothing(superset, tmp_path, monkeypatch) -> None:
    before = counts(superset)
    bundle = {kind: len(list((server.ASSETS / kind).rglob("*.yaml"))) for kind in ("charts", "dashboards")}
    assert before["chart"] == bundle["charts"] and before["dashboard"] == bundle["dashboards"]
    assets = bundle_copy(tmp_path)
    edited = assets / "charts" / "revenue.yaml"
    chart = yaml.safe_load(edited.read_text())
    chart["slice_name"] = "Revenue (edited in git)"
    edited.write_text(yaml.safe_dump(chart, sort_keys=False))
    monkeypatch.setattr(server, "ASSETS", assets)
    server.bootstrap(superset.settings, server.VENV / "bin", print)
    assert counts(superset) == before
    token = superset.token("admin")
    names = {
        c["slice_name"] for c in superset.get("/api/v1/chart/", token, q="(page_size:100)").json()["result"]
    }
    assert "Revenue (edited in git)" in names and "Revenue" not in names
    # every chart of the position is on the dashboard: none skipped
    dashboard = superset.get("/api/v1/dashboard/executive-overview/charts", token).json()["result"]
    position = yaml.safe_load((assets / "dashboards" / "executive-overview.yaml").read_text())["position"]
    assert len(dashboard) == sum(
        1 for node in position.values() if isinstance(node, dict) and node["type"] == "CHART"
    )
    # a chart taken out of the bundle (file and place on its dashboard) is taken out of Superset too
    (assets / "charts" / "units_sold.yaml").unlink()
    dashboard_file = assets / "dashboards" / "executive-overview.yaml"
    spec = yaml.safe_load(dashboard_file.read_text())
    node = next(
        k
        for k, v in spec["position"].items()
        if isinstance(v, dict) and v.get("meta", {}).get("sliceName") == "Units sold"
    )
    spec["position"] = {k: v for k, v in spec["position"].items() if k != node}
    for value in spec["position"].values():
        if isinstance(value, dict) and node in value.get("children", []):
            value["children"].remove(node)
    dashboard_file.write_text(yaml.safe_dump(spec, sort_keys=False))
    server.bootstrap(superset.settings, server.VENV / "bin", print)
    assert counts(superset) == before | {"chart": before["chart"] - 1}
    monkeypatch.setattr(server, "ASSETS", server.HERE / "assets")
    server.bootstrap(superset.settings, server.VENV / "bin", print)  # back as in git, for the other tests
    assert counts(superset) == before


def test_a_broken_bundle_is_named_and_the_running_dashboards_stay(superset, tmp_path, monkeypatch) -> None:
    assets = bundle_copy(tmp_path)
    broken = assets / "charts" / "orders.yaml"
    broken.write_text(broken.read_text() + "\n  - : : not yaml [\n")
    monkeypatch.setattr(server, "ASSETS", assets)
    with pytest.raises(ShelfcastError, match=r"orders\.yaml"):
        server.up(superset.settings, "127.0.0.1", int(superset.url.rsplit(":", 1)[1]), print)
    # a bundle Superset itself refuses (a chart on a dataset the bundle lacks) is refused whole, too
    chart = yaml.safe_load((server.HERE / "assets" / "charts" / "orders.yaml").read_text())
    chart["dataset_uuid"] = "00000000-0000-0000-0000-000000000000"
    broken.write_text(yaml.safe_dump(chart))
    with pytest.raises(ShelfcastError, match="dashboards bundle"):
        server.bootstrap(superset.settings, server.VENV / "bin", print)
    assert httpx.get(f"{superset.url}/health", timeout=10).text == "OK"
    token = superset.token("admin")
    assert superset.get("/api/v1/dashboard/executive-overview", token).status_code == 200
    assert counts(superset)["chart"] == len(list((server.HERE / "assets" / "charts").glob("*.yaml")))


def test_a_missing_mart_is_named_before_superset_is_touched(superset, tmp_path) -> None:
    settings = superset.settings.model_copy(update={"data_dir": tmp_path})
    duckdb_path(settings).parent.mkdir(parents=True)
    shutil.copyfile(duckdb_path(superset.settings), duckdb_path(settings))
    con = duckdb.connect(str(duckdb_path(settings)))
    con.execute("drop table mart_stock_alerts")
    con.close()
    with pytest.raises(ShelfcastError, match=r"has no main\.mart_stock_alerts"):
        server.up(settings, "127.0.0.1", free_port(), print)
    assert not (tmp_path / "superset" / "superset.db").exists()


def test_a_taken_port_is_one_line(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("dashboards", "up", "--port", str(port), env={"SHELFCAST_DATA_DIR": str(tmp_path)})
    assert_one_line_error(result, f"127.0.0.1:{port}", "Superset")


def test_the_refresh_after_a_rebuild_empties_the_chart_cache(superset) -> None:
    admin = superset.token("admin")
    dataset = superset.dataset_id(admin, "mart_kpi_daily")
    query = {"columns": [], "metrics": ["revenue"]}
    superset.chart_data(admin, dataset, query)
    assert superset.chart_data(admin, dataset, query).json()["result"][0]["is_cached"]
    assert server.refresh(superset.settings, print)
    assert not superset.chart_data(admin, dataset, query).json()["result"][0]["is_cached"]
