"""The retailer's days, one after another: deliveries, returns, sales limited by stock, reorders.

State is one row per (store, product) series plus a short ring buffer of deliveries in transit, so memory
stays flat however many days run; each day's results are handed to the writers and dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from synthetic import catalogue as cat
from synthetic.demand import CANNIBALISATION_PER_PROMO, MEAN_BASKET_LINES, PROMO_ELASTICITY, DemandFactors
from synthetic.world import STREAM_DAY, World, rng_for

HORIZON = 64  # ring-buffer days; longer than any lead time plus supplier delay
LOYALTY_SHARE = 0.45  # transactions where the customer scans a loyalty card
SAFETY_Z = 1.4
REVIEW_DAYS = 10  # order-up-to covers this many days beyond the lead time
HOURLY = np.array([0.02, 0.04, 0.05, 0.06, 0.07, 0.09, 0.08, 0.06, 0.06, 0.07, 0.09, 0.10, 0.09, 0.07, 0.05])
OPENING_HOUR = 7


@dataclass
class PosLines:
    """One day's POS lines across all stores, sorted by store, transaction and line."""

    store: np.ndarray
    txn: np.ndarray  # transaction sequence within the store-day, from 1
    line: np.ndarray
    is_return: np.ndarray
    second: np.ndarray  # of the day
    product: np.ndarray
    quantity: np.ndarray  # negative on returns
    unit_price_cents: np.ndarray
    promo: np.ndarray  # index into world.promotions, -1 for none
    customer: np.ndarray  # index into world.customers, -1 for anonymous
    payment: np.ndarray
    original_day: np.ndarray  # for returns: the sale's day, store and transaction; -1 otherwise
    original_txn: np.ndarray


@dataclass
class PurchaseOrderLines:
    store: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_cost_cents: np.ndarray
    expected_day: np.ndarray
    received_day: np.ndarray  # may lie beyond the last day: still open at export time
    received_quantity: np.ndarray


@dataclass
class Day:
    index: int
    open_stores: np.ndarray  # bool per store: has a POS export today
    pos: PosLines
    listed: np.ndarray  # series in today's stock snapshot
    on_hand: np.ndarray  # closing units of the listed series
    on_order: np.ndarray
    orders: PurchaseOrderLines
    # Truth per listed series, for tests: what moved today.
    truth: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class _Returns:
    """Sold lines that will come back, bucketed by the day they return."""

    buckets: dict[int, list[tuple[np.ndarray, ...]]] = field(default_factory=dict)

    def add(self, day: int, arrays: tuple[np.ndarray, ...]) -> None:
        self.buckets.setdefault(day, []).append(arrays)

    def pop(self, day: int) -> tuple[np.ndarray, ...] | None:
        parts = self.buckets.pop(day, None)
        if not parts:
            return None
        return tuple(np.concatenate(column) for column in zip(*parts, strict=True))


def simulate(world: World, factors: DemandFactors, seed: int) -> Iterator[Day]:
    """Yield the retailer's days in order; deterministic for a seed."""
    stores, products = world.stores, world.products
    s_store, s_product = world.series_store, world.series_product
    n_series = len(s_store)
    n_stores = len(stores)
    sub_idx = products["subcategory_idx"].to_numpy()
    profile = products["profile"].to_numpy()
    city = stores["city_idx"].to_numpy()
    extra_units = products["extra_units"].to_numpy()
    return_rate = products["return_rate"].to_numpy()
    case_pack = products["case_pack"].to_numpy()
    lead = products["lead_time_days"].to_numpy()
    discontinued = products["discontinued_day"].to_numpy()
    reliability = world.suppliers["reliability"].to_numpy()[products["supplier_idx"].to_numpy()]
    cost_cents = np.round(
        products["base_cost"].to_numpy()[:, None] * 100 * world.price_cents / world.price_cents[:, :1]
    ).astype(np.int64)

    popularity = products["popularity"].to_numpy()[s_product]
    store_pop = np.bincount(s_store, weights=popularity, minlength=n_stores)
    base = world.scale.lines_per_store_day * popularity / store_pop[s_store]

    series_lead = lead[s_product]
    orderable_from = (
        np.maximum(stores["open_day"].to_numpy()[s_store], products["launch_day"].to_numpy()[s_product])
        - series_lead
        - 1
    )
    stops_ordering = np.where(discontinued[s_product] >= 0, discontinued[s_product], np.iinfo(np.int64).max)
    units_per_line = 1 + extra_units[s_product]

    def planned_levels(day: int) -> tuple[np.ndarray, np.ndarray]:
        mature_store = world.stores["traffic"].to_numpy() * np.exp(
            world.stores["trend"].to_numpy() * day / 365.25
        )
        mu = (
            base
            * mature_store[s_store]
            * factors.planning_subcategory_day[sub_idx[s_product], day]
            * units_per_line
        )
        cover = mu * (series_lead + 1)
        reorder_point = cover + SAFETY_Z * np.sqrt(cover + 0.25)
        return reorder_point, reorder_point + np.maximum(mu * REVIEW_DAYS, 1.0)

    reorder_point, order_up_to = planned_levels(0)
    on_hand = np.where(orderable_from < 0, np.ceil(order_up_to), 0).astype(np.int64)
    on_order = np.zeros(n_series, dtype=np.int64)
    # int32: units per delivery fit, and at scale l each ring buffer is 136 MB instead of 272 MB
    incoming = np.zeros((HORIZON, n_series), dtype=np.int32)
    incoming_ordered = np.zeros((HORIZON, n_series), dtype=np.int32)
    returns = _Returns()
    customer_pick = _CustomerPicker(world)
    series_of = np.full((n_stores, len(products)), -1, dtype=np.int64)
    series_of[s_store, s_product] = np.arange(n_series)
    promo_series = _promotion_series(world, series_of)
    promos_by_day = _promotions_by_day(world)
    promo_discount = world.promotions["discount_pct"].to_numpy()

    for d in range(world.n_days):
        rng = rng_for(seed, STREAM_DAY, d)
        slot = d % HORIZON
        closed_today = bool(factors.closed[d])
        open_stores = (factors.store_day[:, d] > 0) & (not closed_today)

        opening = on_hand.copy()
        received = incoming[slot].copy()
        on_hand += received
        on_order -= incoming_ordered[slot]
        incoming[slot] = 0
        incoming_ordered[slot] = 0

        due = returns.pop(d)
        if due is not None and closed_today:
            returns.add(d + 1, due)  # the store is shut: the customer comes back tomorrow
            due = None
        returned_units = np.zeros(n_series, dtype=np.int64)
        if due is not None:
            np.add.at(returned_units, due[0], due[1])
        on_hand += returned_units

        # Promotions and their cannibalisation of unpromoted siblings in the same store and subcategory.
        discount = np.zeros(n_series)
        promo_of = np.full(n_series, -1, dtype=np.int64)
        for k in promos_by_day.get(d, ()):
            discount[promo_series[k]] = promo_discount[k]
            promo_of[promo_series[k]] = k
        promoted = promo_of >= 0
        siblings = np.zeros((n_stores, len(cat.SUBCATEGORIES)))
        np.add.at(siblings, (s_store[promoted], sub_idx[s_product[promoted]]), 1.0)
        cannibal = np.where(
            promoted,
            1.0,
            np.maximum(0.6, 1 - CANNIBALISATION_PER_PROMO * siblings[s_store, sub_idx[s_product]]),
        )
        lift = (1 - discount) ** -PROMO_ELASTICITY

        expected_lines = (
            base
            * factors.store_day[s_store, d]
            * open_stores[s_store]
            * factors.weekday_store[s_store, _weekday(world, d)]
            * factors.subcategory_day[sub_idx[s_product], d]
            * factors.weather[city[s_store], profile[s_product], d]
            * factors.product_day[s_product, d]
            * lift
            * cannibal
        )
        n_lines = rng.poisson(expected_lines)
        line_series = np.repeat(np.arange(n_series), n_lines)
        wanted = 1 + rng.poisson(extra_units[s_product[line_series]])
        wanted = np.minimum(wanted, 12)
        # Sell in arrival order until the shelf is empty: no stock, no sale.
        cum = np.cumsum(wanted)
        first = np.concatenate([[0], np.cumsum(n_lines)[:-1]])
        before = (
            cum
            - wanted
            - np.repeat(cum[first[n_lines > 0]] - wanted[first[n_lines > 0]], n_lines[n_lines > 0])
        )
        sold = np.clip(on_hand[line_series] - before, 0, wanted)
        keep = sold > 0
        line_series, sold = line_series[keep], sold[keep]
        sold_units = np.bincount(line_series, weights=sold, minlength=n_series).astype(np.int64)
        on_hand -= sold_units
        lost_units = (
            np.bincount(np.repeat(np.arange(n_series), n_lines), weights=wanted, minlength=n_series).astype(
                np.int64
            )
            - sold_units
        )

        pos = _transactions(world, d, rng, line_series, sold, discount, promo_of, due, customer_pick)
        _schedule_returns(returns, rng, pos, return_rate, series_of, d, world.n_days)

        # Reorders: order-up-to when the stock position falls to the reorder point.
        if d % 7 == 0:
            reorder_point, order_up_to = planned_levels(d)
        position = on_hand + on_order
        may_order = (d >= orderable_from) & (d < stops_ordering)
        needs = may_order & (position <= reorder_point)
        idx = np.flatnonzero(needs)
        packs = case_pack[s_product[idx]]
        qty = np.ceil(np.maximum(order_up_to[idx] - position[idx], 1) / packs).astype(np.int64) * packs
        late = rng.random(len(idx)) > reliability[s_product[idx]]
        delay = np.where(late, rng.integers(3, 13, size=len(idx)), 0)
        expected = d + series_lead[idx]
        arrival = expected + delay
        short = rng.random(len(idx)) < 0.03
        received_qty = np.where(
            short, np.maximum(1, np.floor(qty * rng.uniform(0.5, 0.9, size=len(idx)))), qty
        ).astype(np.int64)
        on_order[idx] += qty
        in_window = arrival < world.n_days
        np.add.at(incoming, (arrival[in_window] % HORIZON, idx[in_window]), received_qty[in_window])
        np.add.at(incoming_ordered, (arrival[in_window] % HORIZON, idx[in_window]), qty[in_window])
        orders = PurchaseOrderLines(
            store=s_store[idx],
            product=s_product[idx],
            quantity=qty,
            unit_cost_cents=cost_cents[s_product[idx], d],
            expected_day=expected,
            received_day=arrival,
            received_quantity=received_qty,
        )

        listed = (d >= orderable_from) & ((d < stops_ordering) | (on_hand > 0) | (on_order > 0))
        listed_idx = np.flatnonzero(listed)
        yield Day(
            index=d,
            open_stores=open_stores,
            pos=pos,
            listed=listed_idx,
            on_hand=on_hand[listed_idx],
            on_order=on_order[listed_idx],
            orders=orders,
            truth={
                "opening": opening,
                "received": received,
                "returned": returned_units,
                "sold": sold_units,
                "lost": lost_units,
                "closing": on_hand.copy(),
            },
        )


def _weekday(world: World, d: int) -> int:
    # 1970-01-01 was a Thursday; weekday 0 = Monday.
    return int((world.days[d].astype(np.int64) + 3) % 7)


class _CustomerPicker:
    """Loyalty customers of the store's region who had signed up by that day, frequent ones more often."""

    def __init__(self, world: World) -> None:
        customers = world.customers
        self.by_region: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for region, group in customers.groupby("region_code", sort=True, observed=True):
            order = np.argsort(group["signup_day"].to_numpy(), kind="stable")
            signup = group["signup_day"].to_numpy()[order]
            weights = np.cumsum(group["visit_weight"].to_numpy()[order])
            self.by_region[str(region)] = (signup, weights, group.index.to_numpy()[order])
        self.store_region = world.stores["region_code"].to_numpy()

    def pick(self, rng: np.random.Generator, store: np.ndarray, day: int) -> np.ndarray:
        chosen = np.full(len(store), -1, dtype=np.int64)
        wants_card = rng.random(len(store)) < LOYALTY_SHARE
        regions = self.store_region[store]
        for region, (signup, weights, index) in self.by_region.items():
            rows = np.flatnonzero(wants_card & (regions == region))
            eligible = int(np.searchsorted(signup, day, side="right"))
            if eligible == 0 or len(rows) == 0:
                continue
            draw = rng.random(len(rows)) * weights[eligible - 1]
            chosen[rows] = index[
                np.minimum(np.searchsorted(weights[:eligible], draw, side="right"), eligible - 1)
            ]
        return chosen


def _transactions(
    world: World,
    d: int,
    rng: np.random.Generator,
    line_series: np.ndarray,
    sold: np.ndarray,
    discount: np.ndarray,
    promo_of: np.ndarray,
    due: tuple[np.ndarray, ...] | None,
    customers: _CustomerPicker,
) -> PosLines:
    """Group the day's sale lines into baskets per store, add returns, and order it all by time."""
    n_stores = len(world.stores)
    store = world.series_store[line_series]
    product = world.series_product[line_series]
    lines_per_store = np.bincount(store, minlength=n_stores)
    baskets = np.maximum(1, np.round(lines_per_store / MEAN_BASKET_LINES)).astype(np.int64)
    basket = (rng.random(len(store)) * baskets[store]).astype(np.int64)
    basket_key = store * 1_000_000 + basket
    keys, basket_of_line = np.unique(basket_key, return_inverse=True)
    basket_second = _seconds(rng, len(keys))
    basket_customer = customers.pick(rng, keys // 1_000_000, d)
    basket_payment = rng.choice(3, size=len(keys), p=[p for _, p in cat.PAYMENT_TYPES])
    list_price = world.price_cents[product, d]
    unit_price = np.round(list_price * (1 - discount[line_series])).astype(np.int64)

    n_sales = len(store)
    if due is not None:
        r_series, r_qty, r_price, r_customer, r_day, r_txn = due
        r_store = world.series_store[r_series]
        r_keys = r_store * 1_000_000 + 500_000 + np.arange(len(r_series))  # each return its own transaction
        all_store = np.concatenate([store, r_store])
        all_key = np.concatenate([keys[basket_of_line], r_keys])
        all_second = np.concatenate([basket_second[basket_of_line], _seconds(rng, len(r_series))])
        all_product = np.concatenate([product, world.series_product[r_series]])
        quantity = np.concatenate([sold, -r_qty])
        price = np.concatenate([unit_price, r_price])
        promo = np.concatenate([promo_of[line_series], np.full(len(r_series), -1)])
        customer = np.concatenate([basket_customer[basket_of_line], r_customer])
        payment = np.concatenate([basket_payment[basket_of_line], np.zeros(len(r_series), dtype=np.int64)])
        original_day = np.concatenate([np.full(n_sales, -1), r_day])
        original_txn = np.concatenate([np.full(n_sales, -1), r_txn])
    else:
        all_store, all_key = store, keys[basket_of_line]
        all_second = basket_second[basket_of_line]
        all_product, quantity, price = product, sold, unit_price
        promo, customer = promo_of[line_series], basket_customer[basket_of_line]
        payment = basket_payment[basket_of_line]
        original_day = original_txn = np.full(n_sales, -1)
    is_return = np.zeros(len(all_store), dtype=bool)
    is_return[n_sales:] = True

    order = np.lexsort((all_product, all_key, all_second, all_store))
    all_store, all_key = all_store[order], all_key[order]
    new_txn = np.ones(len(order), dtype=bool)
    new_txn[1:] = all_key[1:] != all_key[:-1]
    new_store = np.ones(len(order), dtype=bool)
    new_store[1:] = all_store[1:] != all_store[:-1]
    txn_global = np.cumsum(new_txn)
    txn_at_store_start = np.maximum.accumulate(np.where(new_store, txn_global, 0))
    txn = txn_global - txn_at_store_start + 1
    position = np.arange(len(order))
    line = position - np.maximum.accumulate(np.where(new_txn, position, 0)) + 1
    return PosLines(
        store=all_store,
        txn=txn,
        line=line,
        is_return=is_return[order],
        second=all_second[order],
        product=all_product[order],
        quantity=quantity[order],
        unit_price_cents=price[order],
        promo=promo[order],
        customer=customer[order],
        payment=payment[order],
        original_day=original_day[order],
        original_txn=original_txn[order],
    )


def _seconds(rng: np.random.Generator, n: int) -> np.ndarray:
    hours = rng.choice(len(HOURLY), size=n, p=HOURLY / HOURLY.sum()) + OPENING_HOUR
    return hours * 3600 + rng.integers(0, 3600, size=n)


def _schedule_returns(
    returns: _Returns,
    rng: np.random.Generator,
    pos: PosLines,
    return_rate: np.ndarray,
    series_of: np.ndarray,
    d: int,
    n_days: int,
) -> None:
    sales = ~pos.is_return
    comes_back = sales & (rng.random(len(pos.store)) < return_rate[pos.product])
    idx = np.flatnonzero(comes_back)
    if len(idx) == 0:
        return
    partial = (pos.quantity[idx] > 1) & (rng.random(len(idx)) < 0.3)
    qty = np.where(partial, rng.integers(1, np.maximum(pos.quantity[idx], 2)), pos.quantity[idx])
    when = d + rng.integers(1, 31, size=len(idx))
    series = series_of[pos.store[idx], pos.product[idx]]
    for day in np.unique(when[when < n_days]):
        m = when == day
        returns.add(
            int(day),
            (
                series[m],
                qty[m],
                pos.unit_price_cents[idx][m],
                pos.customer[idx][m],
                np.full(int(m.sum()), d),
                pos.txn[idx][m],
            ),
        )


def _promotion_series(world: World, series_of: np.ndarray) -> list[np.ndarray]:
    region = world.stores["region_code"].to_numpy()
    result = []
    for product, promo_region in zip(
        world.promotions["product_idx"], world.promotions["region_code"], strict=True
    ):
        stores = np.arange(len(region)) if promo_region is None else np.flatnonzero(region == promo_region)
        series = series_of[stores, product]
        result.append(series[series >= 0])
    return result


def _promotions_by_day(world: World) -> dict[int, list[int]]:
    by_day: dict[int, list[int]] = {}
    for k, (start, end) in enumerate(
        zip(world.promotions["start_day"], world.promotions["end_day"], strict=True)
    ):
        for day in range(int(start), int(end) + 1):
            by_day.setdefault(day, []).append(k)
    return by_day
