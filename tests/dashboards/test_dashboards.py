"""The dashboards as their users meet them: every dashboard renders in a real browser with data and no
error; row-level security holds through the chart data API and its cache; the executive big numbers equal
SQL on the mart; anonymous requests are refused; business users can read but not edit."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from dashboards.server import bundled_dashboards
from tests.dashboards.browser import chromium, log_in, render, screenshot
from tests.dashboards.conftest import ADMIN_PASSWORD, DEMO_PASSWORD

pytestmark = [pytest.mark.spark, pytest.mark.slow]
SCREENSHOTS = Path(os.environ.get("SHELFCAST_TEST_ARTIFACTS", "artifacts")) / "dashboards"


@pytest.mark.browser
def test_every_dashboard_renders_every_chart_with_data_and_no_error(superset) -> None:
    dashboards = bundled_dashboards()
    assert "executive-overview" in dashboards
    with chromium() as browser:
        page = log_in(browser, superset.url, "admin", ADMIN_PASSWORD)
        for slug, title in dashboards.items():
            rendered = render(page, superset.url, slug)
            screenshot(page, SCREENSHOTS, slug)
            assert title in rendered.title or rendered.charts > 0, slug
            assert rendered.charts > 0, f"{slug}: no chart"
            assert rendered.errors == [], f"{slug}: {rendered.errors}"
            assert rendered.empty == [], f"{slug}: charts without data {rendered.empty}"
    assert {p.stem for p in SCREENSHOTS.glob("*.png")} >= set(dashboards)


@pytest.mark.browser
def test_a_regional_manager_sees_the_dashboard_with_their_region_only(superset) -> None:
    (region,) = [r for (r,) in superset.sql("select min(region_code) from dim_store")]
    with chromium() as browser:
        page = log_in(browser, superset.url, f"{region.lower()}_manager", DEMO_PASSWORD)
        rendered = render(page, superset.url, "executive-overview")
        assert rendered.errors == [] and rendered.empty == []
        others = {
            name
            for (name,) in superset.sql(f"select region_name from dim_store where region_code <> '{region}'")
        }
        table = page.locator('[data-test="dashboard-component-chart-holder"]').last.inner_text()
        assert not any(name in table.split() for name in others), "another region's stores are listed"


def by_region(superset, token: str) -> dict[str, float]:
    dataset = superset.dataset_id(token, "mart_kpi_daily")
    answer = superset.chart_data(token, dataset, {"columns": ["region_code"], "metrics": ["revenue"]})
    assert answer.status_code == 200, answer.text
    return {row["region_code"]: row["revenue"] for row in answer.json()["result"][0]["data"]}


def test_row_level_security_holds_through_the_chart_data_api_and_its_cache(superset) -> None:
    regions = [r for (r,) in superset.sql("select distinct region_code from dim_store order by 1")]
    assert len(regions) > 1, "the xs retailer has several regions"
    admin = superset.token("admin")
    everything = by_region(superset, admin)  # asked first: the cached answer holds every region
    assert set(everything) == set(regions)
    for region in regions:
        manager = superset.token(f"{region.lower()}_manager")
        assert by_region(superset, manager) == {region: everything[region]}
        # a mart without a region column is scoped through its stores
        dataset = superset.dataset_id(manager, "mart_kpi_daily")
        stores = superset.chart_data(manager, dataset, {"columns": ["store_code"], "metrics": ["revenue"]})
        expected = {
            s for (s,) in superset.sql(f"select store_code from dim_store where region_code = '{region}'")
        }
        assert {row["store_code"] for row in stores.json()["result"][0]["data"]} <= expected


def levels_by_region(superset, token: str, table: str) -> set[tuple[str, str | None]]:
    dataset = superset.dataset_id(token, table)
    answer = superset.chart_data(
        token,
        dataset,
        {
            "columns": ["forecast_level", "region_code"],
            "metrics": [{"expressionType": "SQL", "sqlExpression": "COUNT(*)", "label": "rows"}],
        },
    )
    assert answer.status_code == 200, answer.text
    return {(row["forecast_level"], row["region_code"]) for row in answer.json()["result"][0]["data"]}


def test_a_regional_manager_sees_their_region_s_forecast_and_not_the_chain_s(superset) -> None:
    """Forecast marts are scoped by region_code: a category's or the whole chain's forecast is no region's."""
    admin = superset.token("admin")
    for table in ("mart_forecast_vs_actual", "mart_forecast_components"):
        everything = levels_by_region(superset, admin, table)
        assert {"store", "region", "category", "total"} <= {level for level, _ in everything}, table
        for region in {r for _, r in everything if r is not None}:
            manager = superset.token(f"{region.lower()}_manager")
            seen = levels_by_region(superset, manager, table)
            assert seen and {r for _, r in seen} == {region}, (table, region, seen)
            assert {level for level, _ in seen} <= {"series", "store", "region"}, (table, region, seen)


def test_the_executive_big_numbers_equal_sql_on_the_mart(superset) -> None:
    admin = superset.token("admin")
    dataset = superset.dataset_id(admin, "mart_kpi_daily")
    metrics = ["revenue", "gross_margin", "orders", "units", "average_order_value"]
    answer = superset.chart_data(admin, dataset, {"columns": [], "metrics": metrics})
    assert answer.status_code == 200, answer.text
    (shown,) = answer.json()["result"][0]["data"]
    ((revenue, margin, orders, units),) = superset.sql(
        "select sum(revenue), sum(gross_margin), sum(orders), sum(units) from mart_kpi_daily"
    )
    assert shown["revenue"] == pytest.approx(float(revenue), rel=1e-9)
    assert shown["gross_margin"] == pytest.approx(float(margin), rel=1e-9)
    assert shown["orders"] == pytest.approx(orders, rel=1e-9)
    assert shown["units"] == units
    assert shown["average_order_value"] == pytest.approx(float(revenue) / orders, rel=1e-9)


def test_anonymous_requests_are_refused(superset) -> None:
    admin = superset.token("admin")
    dataset = superset.dataset_id(admin, "mart_kpi_daily")
    assert superset.chart_data(None, dataset, {"columns": [], "metrics": ["revenue"]}).status_code == 401
    assert superset.get("/api/v1/dashboard/executive-overview", None).status_code == 401
    page = superset.get("/superset/dashboard/executive-overview/", None)
    assert page.status_code in (302, 401) or "/login" in str(page.url)


def test_business_users_can_read_but_not_edit(superset) -> None:
    region = superset.sql("select min(region_code) from dim_store")[0][0]
    manager = superset.token(f"{region.lower()}_manager")
    dashboard = superset.get("/api/v1/dashboard/executive-overview", manager)
    assert dashboard.status_code == 200
    # as the UI would send it: the session's CSRF token, so only the permission check can refuse it
    with httpx.Client(
        base_url=superset.url, headers={"Authorization": f"Bearer {manager}"}, timeout=30
    ) as client:
        csrf = client.get("/api/v1/security/csrf_token/").json()["result"]
        edit = client.put(
            f"/api/v1/dashboard/{dashboard.json()['result']['id']}",
            json={"dashboard_title": "mine now"},
            headers={"X-CSRFToken": csrf, "Referer": superset.url},
        )
    assert edit.status_code in (403, 404), edit.text
    assert superset.get("/api/v1/dashboard/executive-overview", manager).json()["result"][
        "dashboard_title"
    ] == ("Executive overview")
    # no SQL Lab, no database connections: a business user cannot query around row-level security
    assert superset.get("/api/v1/database/", manager).status_code in (401, 403) or (
        superset.get("/api/v1/database/", manager).json()["count"] == 0
    )
