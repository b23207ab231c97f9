"""Every endpoint against independent SQL on the warehouse: keys, region scope, paging, filters, clear 4xx
for bad input and 503 naming what is missing."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.keys import KeyStore
from api.warehouse import DuckDBWarehouse
from tests.api.conftest import Api

pytestmark = pytest.mark.spark  # the session's warehouse comes from a Spark landing

ENDPOINTS = (
    "/kpis",
    "/forecasts",
    "/inventory/alerts",
    "/inventory/recommendations",
    "/stores",
    "/stores/X",
    "/products",
    "/products/X",
)


def every_page(api: Api, path: str, headers: dict[str, str], limit: int, **params: object) -> list[dict]:
    items, offset = [], 0
    while offset is not None:
        response = api.client.get(path, headers=headers, params={**params, "limit": limit, "offset": offset})
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        offset = body["next_offset"]
    assert len(items) == body["total"]
    return items


def test_health_reports_the_warehouse_and_its_marts(api: Api) -> None:
    response = api.client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok" and response.json()["missing"] == []
    assert response.json()["warehouse"] == "duckdb"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_every_endpoint_refuses_a_missing_or_unknown_key(api: Api, path: str) -> None:
    missing = api.client.get(path)
    assert missing.status_code == 401 and "X-API-Key" in missing.json()["detail"]
    forged = api.client.get(path, headers={"X-API-Key": "sck_" + "A" * 43})
    assert forged.status_code == 401 and "unknown or revoked" in forged.json()["detail"]


def test_a_revoked_key_is_refused_at_once(api: Api, tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys.sqlite")
    key = keys.create("temporary")
    client = TestClient(create_app(api.settings, warehouse=DuckDBWarehouse(api.path), keys=keys))
    assert client.get("/stores", headers={"X-API-Key": key}).status_code == 200
    assert keys.revoke("temporary")
    assert client.get("/stores", headers={"X-API-Key": key}).status_code == 401
    assert "sck_" not in (tmp_path / "keys.sqlite").read_bytes().decode("latin-1")  # only hashes stored


def test_stores_are_limited_to_the_keys_regions(api: Api) -> None:
    every = every_page(api, "/stores", api.every_region, limit=3)
    expected = api.sql("select store_code, region_code from dim_store order by store_code")
    assert [s["store_code"] for s in every] == expected["store_code"].tolist()
    mine = every_page(api, "/stores", api.one_region, limit=1000)
    assert {s["region_code"] for s in mine} == {api.region}
    assert len(mine) == (expected["region_code"] == api.region).sum() < len(every)
    elsewhere = next(s for s in every if s["region_code"] != api.region)
    assert api.client.get(f"/stores/{elsewhere['store_code']}", headers=api.every_region).status_code == 200
    hidden = api.client.get(f"/stores/{elsewhere['store_code']}", headers=api.one_region)
    assert hidden.status_code == 404  # not 403: a key does not learn which stores exist elsewhere
    refused = api.client.get("/stores", headers=api.one_region, params={"region": elsewhere["region_code"]})
    assert refused.status_code == 403 and "may not read region" in refused.json()["detail"]


def test_kpis_equal_the_order_lines_summed_independently(api: Api) -> None:
    lines = api.sql(
        "select date_trunc('month', l.sold_on) as month, s.region_code, sum(l.revenue) as revenue, "
        "sum(l.quantity) as units, sum(l.order_share) as orders from fct_order_lines l "
        "join dim_store s using (store_code) group by all"
    )
    months = every_page(api, "/kpis", api.every_region, limit=5, grain="month")
    assert len(months) == lines["month"].nunique()
    assert sum(m["revenue"] for m in months) == pytest.approx(float(lines["revenue"].sum()), rel=1e-9)
    assert sum(m["units"] for m in months) == int(lines["units"].sum())
    for month in months:
        if month["orders"]:
            assert month["average_order_value"] == pytest.approx(month["revenue"] / month["orders"])
    mine = every_page(api, "/kpis", api.one_region, limit=1000, grain="month", group_by="region")
    assert {m["group"] for m in mine} == {api.region}
    in_region = lines[lines["region_code"] == api.region]
    assert sum(m["revenue"] for m in mine) == pytest.approx(float(in_region["revenue"].sum()), rel=1e-9)


def test_kpi_filters_and_growth(api: Api) -> None:
    last = api.sql("select max(date_day) as b from mart_kpi_daily")["b"][0]
    store = api.sql("select min(store_code) as s from dim_store")["s"][0]
    days = every_page(
        api, "/kpis", api.every_region, limit=1000, grain="day", store=store, date_from=str(last)[:10]
    )
    assert len(days) == 1 and days[0]["period_start"] == str(last)[:10]
    weeks = every_page(api, "/kpis", api.every_region, limit=1000, grain="week", group_by="category")
    late = [w for w in weeks if w["revenue_last_year"]]
    assert late, "two years of xs history give weeks with a year-earlier week"
    for week in late:
        assert week["revenue_growth_yoy"] == pytest.approx(week["revenue"] / week["revenue_last_year"] - 1)


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"date_from": "2024-03-01", "date_to": "2024-02-01"}, 422, "is after date_to"),
        ({"grain": "year"}, 422, ""),
        ({"limit": 100_000}, 422, ""),
        ({"date_from": "yesterday"}, 422, ""),
        ({"store": "NO-SUCH-STORE"}, 404, "unknown store 'NO-SUCH-STORE'"),
        ({"category": "Spaceships"}, 404, "unknown category 'Spaceships'"),
    ],
)
def test_bad_kpi_requests_get_a_clear_4xx(api: Api, params: dict, status: int, message: str) -> None:
    response = api.client.get("/kpis", headers=api.every_region, params=params)
    assert response.status_code == status, response.text
    assert message in str(response.json()["detail"])


def test_forecasts_carry_intervals_model_and_its_backtest_accuracy(api: Api) -> None:
    store = api.sql("select min(store_code) as s from fct_sales_forecast")["s"][0]
    rows = every_page(api, "/forecasts", api.every_region, limit=500, store=store)
    expected = api.sql(f"select count(*) as n from fct_sales_forecast where store_code = '{store}'")["n"][0]
    assert len(rows) == expected > 0
    for row in rows:
        assert row["forecast_units_lower_95"] <= row["forecast_units_lower_80"] <= row["forecast_units"]
        assert row["forecast_units"] <= row["forecast_units_upper_80"] <= row["forecast_units_upper_95"]
    champion = api.sql(
        "select model_name, rmsse from mart_forecast_accuracy where forecast_level = 'series' "
        "and horizon_days = 'all' and is_champion"
    ).iloc[0]
    assert {r["model_name"] for r in rows} == {champion["model_name"]}
    assert rows[0]["backtest"]["rmsse"] == pytest.approx(champion["rmsse"])
    week = every_page(api, "/forecasts", api.every_region, limit=1000, store=store, horizon=7)
    assert max(r["days_ahead"] for r in week) == 7 and len(week) == len(rows) // 2
    mine = every_page(api, "/forecasts", api.one_region, limit=1000, horizon=1)
    assert mine and {r["region_code"] for r in mine} == {api.region}


def test_inventory_alerts_and_recommendations_match_the_marts_within_scope(api: Api) -> None:
    for path, mart in (
        ("/inventory/alerts", "mart_stock_alerts"),
        ("/inventory/recommendations", "mart_inventory_recommendations"),
    ):
        counts = api.sql(
            f"select s.region_code, count(*) as n from {mart} m "
            "join dim_store s using (store_code) group by 1"
        )
        every = every_page(api, path, api.every_region, limit=1000)
        assert len(every) == counts["n"].sum()
        mine = every_page(api, path, api.one_region, limit=1000)
        assert len(mine) == counts.loc[counts["region_code"] == api.region, "n"].sum()
        assert {r["region_code"] for r in mine} <= {api.region}
    ordering = every_page(api, "/inventory/recommendations", api.every_region, limit=1000, needs_order=True)
    assert all(r["needs_order"] for r in ordering)
    assert (
        len(ordering)
        == api.sql("select count(*) as n from mart_inventory_recommendations where needs_order")["n"][0]
    )
    stockouts = every_page(api, "/inventory/alerts", api.every_region, limit=1000, alert_type="stockout_risk")
    days = [a["days_until_stockout"] for a in stockouts if a["days_until_stockout"] is not None]
    assert days == sorted(days)  # the most urgent first


def test_products_page_through_the_whole_catalogue(api: Api) -> None:
    products = every_page(api, "/products", api.one_region, limit=250)
    assert len(products) == api.sql("select count(*) as n from dim_product")["n"][0]
    code = products[0]["product_code"]
    assert api.client.get(f"/products/{code}", headers=api.one_region).json()["product_code"] == code
    assert api.client.get("/products/NOPE", headers=api.one_region).status_code == 404


def test_missing_warehouse_or_mart_is_a_503_naming_it(api: Api, tmp_path: Path) -> None:
    keys = KeyStore(tmp_path / "keys.sqlite")
    headers = {"X-API-Key": keys.create("k")}
    path = tmp_path / "shelfcast.duckdb"
    client = TestClient(create_app(api.settings, warehouse=DuckDBWarehouse(path), keys=keys))
    absent = client.get("/stores", headers=headers)
    assert absent.status_code == 503 and "does not exist" in absent.json()["detail"]
    assert client.get("/health").status_code == 503
    con = duckdb.connect(str(path))
    con.execute("create table dim_store as select 'S1' as store_code, 'R1' as region_code")
    con.close()
    partial = client.get("/inventory/alerts", headers=headers)
    assert partial.status_code == 503, partial.text
    assert "mart_stock_alerts" in partial.json()["detail"] and "shelfcast" in partial.json()["hint"]
    assert "mart_stock_alerts" in client.get("/health").json()["missing"]


def test_a_mart_built_by_an_older_release_is_a_503_asking_for_a_rebuild(api: Api, tmp_path: Path) -> None:
    """Not a 500 with a traceback in the log: the table is there, a column the API reads is not."""
    keys = KeyStore(tmp_path / "keys.sqlite")
    headers = {"X-API-Key": keys.create("k")}
    path = tmp_path / "shelfcast.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table dim_store as select 'S1' as store_code, 'R1' as region_code")
    con.execute("create table mart_stock_alerts as select 'S1' as store_code, 'P1' as product_code")
    con.close()
    client = TestClient(create_app(api.settings, warehouse=DuckDBWarehouse(path), keys=keys))
    outdated = client.get("/inventory/alerts", headers=headers)
    assert outdated.status_code == 503, outdated.text
    assert "older shelfcast" in outdated.json()["detail"] and "shelfcast transform" in outdated.json()["hint"]


def test_a_published_warehouse_is_picked_up_without_a_restart(api: Api, tmp_path: Path) -> None:
    """Builds publish by renaming a new file over the old one: the API reads the new one from the next
    request on, and a request never sees a half-written file."""
    path = tmp_path / "shelfcast.duckdb"
    shutil.copyfile(api.path, path)
    keys = KeyStore(tmp_path / "keys.sqlite")
    headers = {"X-API-Key": keys.create("k")}
    client = TestClient(create_app(api.settings, warehouse=DuckDBWarehouse(path), keys=keys))
    before = client.get("/stores", headers=headers).json()["total"]
    building = tmp_path / "building.duckdb"
    shutil.copyfile(path, building)
    con = duckdb.connect(str(building))
    con.execute("delete from dim_store where store_code = (select min(store_code) from dim_store)")
    con.close()
    building.replace(path)
    assert client.get("/stores", headers=headers).json()["total"] == before - 1
