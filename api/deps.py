"""What every endpoint shares: the caller's API key and region scope, paging, and SQL filters built from
query parameters (always bound as parameters, never pasted into the SQL)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request, Security, status
from fastapi.security import APIKeyHeader

from api.keys import ApiKey, KeyStore
from api.warehouse import Row, Warehouse

API_KEY_HEADER = "X-API-Key"
MAX_PAGE = 1_000
_api_key = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="Created with `shelfcast api-key create NAME [--region CODE ...]`; shown once.",
)


# Dependencies that do not wait on a query are coroutines: a synchronous one costs a hop to the thread
# pool per request, and under load those hops queue behind the queries.
async def warehouse(request: Request) -> Warehouse:
    return request.app.state.warehouse


async def key_store(request: Request) -> KeyStore:
    return request.app.state.keys


async def caller(
    key: Annotated[str | None, Security(_api_key)], store: Annotated[KeyStore, Depends(key_store)]
) -> ApiKey:
    if not key:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"missing {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": API_KEY_HEADER},
        )
    found = store.verify(key)
    if found is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown or revoked API key",
            headers={"WWW-Authenticate": API_KEY_HEADER},
        )
    return found


# codes as the warehouse stores them: printable text (PostgreSQL refuses NUL; no code holds control chars)
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
StoreCode = Annotated[
    str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE, description="Store code")
]
ProductCode = Annotated[
    str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE, description="Product code")
]
RegionCode = Annotated[
    str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE, description="Region code")
]
CategoryName = Annotated[
    str | None, Query(min_length=1, max_length=128, pattern=PRINTABLE, description="Product category")
]
Caller = Annotated[ApiKey, Depends(caller)]
Db = Annotated[Warehouse, Depends(warehouse)]


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


async def page(
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Rows per page")] = 100,
    offset: Annotated[int, Query(ge=0, le=100_000_000, description="Rows to skip")] = 0,
) -> Page:
    return Page(limit, offset)


Paging = Annotated[Page, Depends(page)]


@dataclass
class Filters:
    """A `where` clause and its parameters, built one condition at a time."""

    clauses: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def equal(self, column: str, value: object | None) -> Filters:
        if value is not None:
            self.clauses.append(f"{column} = ?")
            self.params.append(value)
        return self

    def at_least(self, column: str, value: object | None) -> Filters:
        if value is not None:
            self.clauses.append(f"{column} >= ?")
            self.params.append(value)
        return self

    def at_most(self, column: str, value: object | None) -> Filters:
        if value is not None:
            self.clauses.append(f"{column} <= ?")
            self.params.append(value)
        return self

    def regions(self, column: str, key: ApiKey) -> Filters:
        """Rows of the key's regions only: the scope applies to every query, whatever was asked."""
        if key.regions is not None:
            self.clauses.append(f"{column} in ({', '.join('?' for _ in key.regions)})")
            self.params.extend(key.regions)
        return self

    @property
    def sql(self) -> str:
        return f"where {' and '.join(self.clauses)}" if self.clauses else ""


def require_region(key: ApiKey, region: str | None) -> None:
    if region is not None and not key.may_read(region):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"API key {key.name!r} may not read region {region!r}")


def require_known(
    db: Warehouse,
    key: ApiKey,
    store: str | None = None,
    product: str | None = None,
    category: str | None = None,
) -> None:
    """404 for a store (within the key's regions), product or category the warehouse does not have: a
    typo answers "unknown", not an empty list that looks like no sales."""
    if store is not None:
        filters = Filters().equal("store_code", store).regions("region_code", key)
        sql = f"select 1 as found from {db.schema}.dim_store {filters.sql} limit 1"
        if not db.rows(sql, filters.params, needs=["dim_store"]):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown store {store!r}")
    for column, value, what in (("product_code", product, "product"), ("category", category, "category")):
        if value is None:
            continue
        sql = f"select 1 as found from {db.schema}.dim_product where {column} = ? limit 1"
        if not db.rows(sql, [value], needs=["dim_product"]):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"unknown {what} {value!r}")


def paged(
    db: Warehouse, select: str, order_by: str, params: list[Any], window: Page, needs: list[str]
) -> dict[str, Any]:
    """One page of `select` in `order_by` order (columns of its result), with the total row count and the
    next page's offset: one query (the count as a window over the whole result) unless the page is past
    the end."""
    page = f"select *, count(*) over () as _total from ({select}) as counted order by {order_by}"
    items: list[Row] = db.rows(f"{page} limit ? offset ?", [*params, window.limit, window.offset], needs)
    if items:
        total = items[0]["_total"]
        for item in items:
            del item["_total"]
    elif window.offset:
        total = db.rows(f"select count(*) as n from ({select}) as counted", params, needs)[0]["n"]
    else:
        total = 0
    following = window.offset + window.limit
    return {
        "items": items,
        "total": int(total),
        "limit": window.limit,
        "offset": window.offset,
        "next_offset": following if following < total else None,
    }
