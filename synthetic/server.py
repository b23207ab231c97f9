"""The marketing/calendar/weather REST source: serves a generation's api/*.json with pagination and filters.

It behaves like the third-party APIs ingestion meets in practice: page-number pagination with a
`next_page` link, a capped page size, date-range filters, and (on request) transient failures:
HTTP 503 with `Retry-After` or 429, at a fixed rate, deterministic per URL, so retry logic can be tested.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from shelfcast.errors import ShelfcastError

RESOURCES = ("promotions", "holidays", "weather")
MAX_PAGE_SIZE = 1000


Page = Annotated[int, Query(ge=1, description="1-based page number")]
PageSize = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"rows per page, at most {MAX_PAGE_SIZE}")
]
Since = Annotated[dt.date | None, Query(description="first date included (ISO)")]
Until = Annotated[dt.date | None, Query(description="last date included (ISO)")]


@dataclass(frozen=True)
class FaultPlan:
    """Fail this share of first attempts; a retry of the same URL (attempt > 1) succeeds unless `sticky`."""

    rate: float = 0.0
    status: int = 503
    sticky: bool = False


def load_api_data(sources_dir: Path) -> dict[str, list[dict[str, Any]]]:
    folder = sources_dir / "api"
    data: dict[str, list[dict[str, Any]]] = {}
    for name in RESOURCES:
        path = folder / f"{name}.json"
        if not path.is_file():
            raise ShelfcastError(
                f"{path} is missing", hint="run `shelfcast generate` first, or pass --sources DIR"
            )
        data[name] = json.loads(path.read_text(encoding="utf-8"))
    return data


def create_app(sources_dir: Path, faults: FaultPlan | None = None) -> FastAPI:
    data = load_api_data(sources_dir)
    plan = faults or FaultPlan()
    attempts: dict[str, int] = {}
    app = FastAPI(
        title="shelfcast synthetic sources",
        version="1",
        description="Promotions, public holidays and daily weather per city, as a paginated JSON API.",
    )

    @app.middleware("http")
    async def inject_faults(request: Request, call_next):
        if plan.rate > 0 and request.url.path.strip("/") in RESOURCES:
            key = str(request.url)
            attempts[key] = attempts.get(key, 0) + 1
            first_try = attempts[key] == 1
            digest = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
            if digest < plan.rate and (first_try or plan.sticky):
                return JSONResponse(
                    {"detail": "temporarily unavailable, retry later"},
                    status_code=plan.status,
                    headers={"Retry-After": "1"},
                )
        return await call_next(request)

    @app.get("/health")
    def health() -> dict[str, object]:
        return {"status": "ok", "resources": {name: len(rows) for name, rows in data.items()}}

    @app.get("/promotions")
    def promotions(
        request: Request,
        page: Page = 1,
        page_size: PageSize = 500,
        since: Since = None,
        until: Until = None,
        region: str | None = None,
    ) -> dict[str, object]:
        """Promotions overlapping [since, until], optionally for one region code."""
        _check_range(since, until)
        rows = [
            r
            for r in data["promotions"]
            if (since is None or r["end_date"] >= since.isoformat())
            and (until is None or r["start_date"] <= until.isoformat())
            and (region is None or r["region_code"] == region.upper())
        ]
        return _page(request, rows, page, page_size)

    @app.get("/holidays")
    def holidays(
        request: Request, page: Page = 1, page_size: PageSize = 500, since: Since = None, until: Until = None
    ) -> dict[str, object]:
        _check_range(since, until)
        return _page(request, _in_range(data["holidays"], since, until), page, page_size)

    @app.get("/weather")
    def weather(
        request: Request,
        page: Page = 1,
        page_size: PageSize = 500,
        since: Since = None,
        until: Until = None,
        city: str | None = None,
    ) -> dict[str, object]:
        """Daily mean temperature and precipitation per city, optionally for one city."""
        _check_range(since, until)
        rows = _in_range(data["weather"], since, until)
        if city is not None:
            rows = [r for r in rows if r["city"].casefold() == city.casefold()]
        return _page(request, rows, page, page_size)

    return app


def _check_range(since: dt.date | None, until: dt.date | None) -> None:
    if since is not None and until is not None and since > until:
        raise HTTPException(422, f"since {since} is after until {until}")


def _in_range(
    rows: list[dict[str, Any]], since: dt.date | None, until: dt.date | None
) -> list[dict[str, Any]]:
    low, high = (since.isoformat() if since else ""), (until.isoformat() if until else "9999")
    return [r for r in rows if low <= r["date"] <= high]


def _page(request: Request, rows: list[dict[str, Any]], page: int, page_size: int) -> dict[str, object]:
    start = (page - 1) * page_size
    has_next = start + page_size < len(rows)
    next_url = str(request.url.include_query_params(page=page + 1)) if has_next else None
    return {
        "data": rows[start : start + page_size],
        "page": page,
        "page_size": page_size,
        "total": len(rows),
        "next_page": page + 1 if has_next else None,
        "next": next_url,
    }
