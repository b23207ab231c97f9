"""The FastAPI application: `shelfcast serve` runs it with uvicorn on 127.0.0.1; the OpenAPI (Swagger) page is
at /docs.

Every answer is computed from the warehouse per request and scoped to the caller's regions in its SQL;
nothing is cached across callers, so one key's rows can never be served to another."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from api.deps import Db
from api.keys import KeyStore, key_store_path
from api.routers import catalog, forecasts, inventory, kpis
from api.schemas import Health, Problem, Unavailable
from api.warehouse import Warehouse, WarehouseUnavailableError, open_warehouse
from shelfcast import __version__

if TYPE_CHECKING:
    from shelfcast.config import Settings

# the models the endpoints read; /health names the missing ones
MARTS = (
    "dim_store",
    "dim_product",
    "mart_kpi_daily",
    "mart_kpi_weekly",
    "mart_kpi_monthly",
    "fct_sales_forecast",
    "mart_forecast_accuracy",
    "mart_stock_alerts",
    "mart_inventory_recommendations",
)
# the errors every data endpoint can answer with, documented on the OpenAPI page
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "No X-API-Key header, or an unknown or revoked key"},
    403: {"model": Problem, "description": "A region outside the key's scope was asked for"},
    404: {"model": Problem, "description": "An unknown store, product or category (or a store elsewhere)"},
    503: {"model": Unavailable, "description": "The warehouse or a mart it reads is not built yet"},
}
DESCRIPTION = """
KPIs, forecasts and inventory decisions from the shelfcast warehouse, read-only.

Every endpoint but `/health` needs an API key in the `X-API-Key` header (`shelfcast api-key create NAME
[--region CODE ...]`). A key limited to regions only ever sees their stores, as the region roles do in
Superset. Lists are paged with `limit` (at most 1000) and `offset`; `next_offset` is null on the last page.
"""


def create_app(
    settings: Settings, warehouse: Warehouse | None = None, keys: KeyStore | None = None
) -> FastAPI:
    served = warehouse or open_warehouse(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        served.close()

    app = FastAPI(
        title="shelfcast API",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.warehouse = served
    app.state.keys = keys or KeyStore(key_store_path(settings.data_dir))
    for router in (kpis.router, forecasts.router, inventory.router, catalog.router):
        app.include_router(router, responses=ERRORS)

    @app.exception_handler(WarehouseUnavailableError)
    async def unavailable(_: Request, error: WarehouseUnavailableError) -> JSONResponse:
        return JSONResponse(
            {"detail": str(error), "hint": error.hint}, status_code=status.HTTP_503_SERVICE_UNAVAILABLE
        )

    @app.get(
        "/health",
        response_model=Health,
        responses={503: {"model": Health, "description": "The warehouse or some of its marts are missing"}},
        tags=["health"],
        summary="Is the warehouse there",
    )
    def health(db: Db) -> JSONResponse:
        try:
            missing = sorted(set(MARTS) - db.tables())
        except WarehouseUnavailableError:
            missing = list(MARTS)
        body = Health(
            status="unavailable" if missing else "ok",
            warehouse=db.target,
            updated_at=db.updated_at(),
            missing=missing,
        )
        code = status.HTTP_503_SERVICE_UNAVAILABLE if missing else status.HTTP_200_OK
        return JSONResponse(body.model_dump(mode="json"), status_code=code)

    return app


def create_app_from_environment() -> FastAPI:
    """The app of one uvicorn worker process (`shelfcast serve --workers N`): each worker reads the
    configuration itself (file and SHELFCAST_* environment, as the parent did) and opens its own read-only
    warehouse connection."""
    from shelfcast.config import load_settings

    return create_app(load_settings())
