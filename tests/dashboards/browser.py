"""A dashboard as a business user sees it in headless Chromium (Debian's, driven by Playwright): log in,
open it, wait until every chart has finished, and read what each chart shows. Shared by the browser test
and `benchmarks/dashboards.py`."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHART = '[data-test="dashboard-component-chart-holder"]'
LOADING = f'{CHART} [data-test="loading-indicator"], {CHART} .loading'
ERROR = f'{CHART} [role="alert"], {CHART} .ant-alert-error, {CHART} [data-test="error-alert"]'
NO_DATA = "No results were returned for this query"


@dataclass
class Rendered:
    title: str
    charts: int
    seconds: float  # from navigation until the last chart has its data and is drawing
    errors: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # charts that said they have no data


@contextmanager
def chromium() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    assert executable, "Debian's chromium is needed: scripts/system-deps.sh --tests"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def log_in(browser: Browser, url: str, username: str, password: str) -> Page:
    page = browser.new_page(viewport={"width": 1600, "height": 1200})
    page.goto(f"{url}/login/")
    page.fill("#username", username)
    page.fill("#password", password)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda address: "/login" not in address, timeout=60_000)
    return page


def render(page: Page, url: str, slug: str, timeout: float = 120) -> Rendered:
    started = time.perf_counter()
    page.goto(f"{url}/superset/dashboard/{slug}/")
    page.wait_for_selector(CHART, timeout=timeout * 1000)
    deadline = time.monotonic() + timeout
    while page.locator(LOADING).count() > 0:
        assert time.monotonic() < deadline, f"{slug}: charts still loading after {timeout:.0f} s"
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    holders = page.locator(CHART)
    rendered = Rendered(page.title(), holders.count(), seconds)
    errors = page.locator(ERROR)
    rendered.errors = [errors.nth(i).inner_text()[:300] for i in range(errors.count())]
    for i in range(holders.count()):
        text = holders.nth(i).inner_text()
        if NO_DATA in text:
            rendered.empty.append(text.splitlines()[0] if text else f"chart {i}")
    return rendered


def screenshot(page: Page, folder: Path, slug: str) -> Path:
    """After the charts' entry animations (ECharts draws for about a second once its data is in)."""
    page.wait_for_timeout(1500)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
