"""Named data-set sizes: xs for unit tests, s for the demo, m and l for benchmarks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ScaleName(StrEnum):
    xs = "xs"
    s = "s"
    m = "m"
    l = "l"  # noqa: E741 - the scale is called "l" in the CLI and docs


@dataclass(frozen=True)
class Scale:
    """How big the retailer is; every other size follows from these numbers."""

    name: str
    stores: int
    products: int
    customers: int
    lines_per_store_day: float  # mean POS sale lines of a mature store on an ordinary day
    promotions_per_product_year: float


SCALES: dict[ScaleName, Scale] = {
    ScaleName.xs: Scale(
        "xs",
        stores=6,
        products=60,
        customers=1_500,
        lines_per_store_day=14.0,
        promotions_per_product_year=4.0,
    ),
    ScaleName.s: Scale(
        "s",
        stores=50,
        products=500,
        customers=20_000,
        lines_per_store_day=26.0,
        promotions_per_product_year=4.0,
    ),
    ScaleName.m: Scale(
        "m",
        stores=200,
        products=1_200,
        customers=150_000,
        lines_per_store_day=115.0,
        promotions_per_product_year=4.0,
    ),
    ScaleName.l: Scale(
        "l",
        stores=600,
        products=1_500,
        customers=1_000_000,
        lines_per_store_day=380.0,
        promotions_per_product_year=4.0,
    ),
}
