"""The retailer's master data: stores, suppliers, products, prices, customers, promotions, weather.

Everything here is drawn once per seed, before the daily simulation runs, and is small (it grows with the
number of stores and products, never with the number of days times series).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import holidays as holidays_lib
import numpy as np
import pandas as pd

from synthetic import catalogue as cat
from synthetic.scales import Scale

# Independent random streams, so that adding draws to one part never shifts another part's numbers.
STREAM_STORES, STREAM_PRODUCTS, STREAM_CUSTOMERS, STREAM_PROMOS, STREAM_WEATHER, STREAM_PRICES = range(6)
STREAM_DAY = 100  # + day index: the daily simulation


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


@dataclass(frozen=True)
class ExportProfile:
    """How one store's POS software writes its daily CSV export."""

    delimiter: str
    encoding: str
    date_format: str  # a key of pos.DATE_FORMATS
    decimal_comma: bool
    date_format_from: int = 0  # day index from which `date_format` applies (a POS software upgrade)
    date_format_before: str = ""  # the format used before that day


@dataclass
class World:
    seed: int
    scale: Scale
    country: str
    days: np.ndarray  # datetime64[D]
    regions: pd.DataFrame
    stores: pd.DataFrame
    export_profiles: list[ExportProfile]
    suppliers: pd.DataFrame
    products: pd.DataFrame
    price_history: pd.DataFrame
    price_cents: np.ndarray  # [product, day] list price in cents
    customers: pd.DataFrame
    promotions: pd.DataFrame
    holidays: pd.DataFrame
    cities: pd.DataFrame
    temperature_c: np.ndarray  # [city, day]
    precipitation_mm: np.ndarray  # [city, day]
    series_store: np.ndarray  # the store of each (store, product) series the store lists
    series_product: np.ndarray

    @property
    def n_days(self) -> int:
        return len(self.days)


def build_world(seed: int, scale: Scale, start: dt.date, years: int, country: str = "US") -> World:
    """Draw the whole master data of one retailer for a seed."""
    end = dt.date(start.year + years, start.month, start.day) - dt.timedelta(days=1)
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1, dtype="datetime64[D]")
    cities = _cities()
    stores, profiles = _stores(seed, scale, len(days), cities)
    suppliers = _suppliers(seed, scale)
    products = _products(seed, scale, len(days), suppliers)
    price_history, price_cents = _price_history(seed, products, days)
    series_store, series_product = _assortment(seed, stores, products)
    temperature, precipitation = _weather(seed, cities, days)
    return World(
        seed=seed,
        scale=scale,
        country=country,
        days=days,
        regions=pd.DataFrame(cat.REGIONS, columns=["region_code", "region_name"]),
        stores=stores,
        export_profiles=profiles,
        suppliers=suppliers,
        products=products,
        price_history=price_history,
        price_cents=price_cents,
        customers=_customers(seed, scale, stores, days),
        promotions=_promotions(seed, scale, products, days),
        holidays=_holidays(country, days),
        cities=cities,
        temperature_c=temperature,
        precipitation_mm=precipitation,
        series_store=series_store,
        series_product=series_product,
    )


def _cities() -> pd.DataFrame:
    frame = pd.DataFrame([c.__dict__ for c in cat.CITIES])
    frame.insert(0, "city_code", [f"C{i + 1:03d}" for i in range(len(frame))])
    return frame


def _stores(
    seed: int, scale: Scale, n_days: int, cities: pd.DataFrame
) -> tuple[pd.DataFrame, list[ExportProfile]]:
    rng = rng_for(seed, STREAM_STORES)
    n = scale.stores
    # Spread stores over every region first, so that even the smallest scale has all four regions.
    region_codes = [code for code, _ in cat.REGIONS]
    city_idx = np.empty(n, dtype=np.int64)
    for i in range(n):
        region = region_codes[i % len(region_codes)]
        candidates = np.flatnonzero(cities["region"].to_numpy() == region)
        city_idx[i] = candidates[(i // len(region_codes) + rng.integers(len(candidates))) % len(candidates)]
    type_shares = np.array([t.share for t in cat.STORE_TYPES])
    type_idx = rng.choice(len(cat.STORE_TYPES), size=n, p=type_shares / type_shares.sum())
    type_idx[0] = 0  # the flagship is a hypermarket: every product is listed somewhere
    size = np.array([rng.integers(*cat.STORE_TYPES[t].size_sqm) for t in type_idx])
    # Most stores predate the data; about one in seven opens during it (its series start late).
    opens_late = rng.random(n) < 0.15
    opens_late[0] = False
    open_day = np.where(
        opens_late, rng.integers(90, max(91, n_days - 180), size=n), -rng.integers(200, 8000, size=n)
    )
    trend = rng.normal(0.03, 0.05, size=n)  # yearly growth of each store's traffic
    traffic = np.array([cat.STORE_TYPES[t].traffic for t in type_idx]) * rng.lognormal(0.0, 0.2, size=n)
    frame = pd.DataFrame(
        {
            "store_code": [f"S{i + 1:03d}" for i in range(n)],
            "store_name": [
                f"{cities.loc[c, 'name']} {cat.STORE_TYPES[t].name} #{i + 1}"
                for i, (c, t) in enumerate(zip(city_idx, type_idx, strict=True))
            ],
            "region_code": cities.loc[city_idx, "region"].to_numpy(),
            "city": cities.loc[city_idx, "name"].to_numpy(),
            "state": cities.loc[city_idx, "state"].to_numpy(),
            "store_type": [cat.STORE_TYPES[t].name for t in type_idx],
            "size_sqm": size,
            "latitude": cities.loc[city_idx, "latitude"].to_numpy(),
            "longitude": cities.loc[city_idx, "longitude"].to_numpy(),
            "open_day": open_day,
            "city_idx": city_idx,
            "type_idx": type_idx,
            "traffic": traffic,
            "trend": trend,
        }
    )
    return frame, _export_profiles(rng, n, n_days)


def _export_profiles(rng: np.random.Generator, n: int, n_days: int) -> list[ExportProfile]:
    """Give each store the quirks of its POS vendor's export."""
    profiles: list[ExportProfile] = []
    for i in range(n):
        kind = i % 6
        if kind in (0, 3):
            profiles.append(ExportProfile(",", "utf-8", "iso", False))
        elif kind == 1:
            profiles.append(ExportProfile(",", "utf-8", "us", False))
        elif kind == 2:
            profiles.append(ExportProfile(";", "utf-8", "eu", True))
        elif kind == 4:
            profiles.append(ExportProfile(",", "utf-8", "iso_t", False))
        else:
            profiles.append(ExportProfile(";", "utf-8", "eu", True))
    # One legacy till exports Latin-1, and one store's POS upgrade changed its date format mid-history.
    latin = n - 1 if n > 1 else 0
    profiles[latin] = ExportProfile(";", "latin-1", "eu", True)
    if n > 2:
        switch_day = int(rng.integers(n_days // 3, 2 * n_days // 3))
        profiles[1] = ExportProfile(
            ",", "utf-8", "iso", False, date_format_from=switch_day, date_format_before="us"
        )
    return profiles


def _suppliers(seed: int, scale: Scale) -> pd.DataFrame:
    rng = rng_for(seed, STREAM_PRODUCTS, 1)
    n = max(6, scale.products // 20)
    names = [
        f"{cat.SUPPLIER_WORDS[i % len(cat.SUPPLIER_WORDS)]} "
        f"{cat.SUPPLIER_SUFFIXES[(i // len(cat.SUPPLIER_WORDS)) % len(cat.SUPPLIER_SUFFIXES)]}"
        + (f" {i // (len(cat.SUPPLIER_WORDS) * len(cat.SUPPLIER_SUFFIXES)) + 1}" if i >= 108 else "")
        for i in range(n)
    ]
    return pd.DataFrame(
        {
            "supplier_code": [f"V{i + 1:04d}" for i in range(n)],
            "supplier_name": names,
            "country_code": rng.choice(cat.SUPPLIER_COUNTRIES, size=n),
            "reliability": rng.uniform(0.9, 0.995, size=n),  # share of deliveries on time
        }
    )


def _products(seed: int, scale: Scale, n_days: int, suppliers: pd.DataFrame) -> pd.DataFrame:
    rng = rng_for(seed, STREAM_PRODUCTS)
    n = scale.products
    weights = np.array([s.weight for s in cat.SUBCATEGORIES])
    # Every subcategory gets at least one product, the rest follow the catalogue weights.
    sub_idx = np.concatenate(
        [
            np.arange(min(n, len(cat.SUBCATEGORIES))),
            rng.choice(
                len(cat.SUBCATEGORIES), size=max(0, n - len(cat.SUBCATEGORIES)), p=weights / weights.sum()
            ),
        ]
    )
    sub_idx = np.sort(sub_idx, kind="stable")
    subs = [cat.SUBCATEGORIES[i] for i in sub_idx]
    lo = np.array([s.price[0] for s in subs])
    hi = np.array([s.price[1] for s in subs])
    # Log-uniform prices: most products cheap, a few expensive, as on a real shelf.
    base_price = np.round(np.exp(rng.uniform(np.log(lo), np.log(hi))), 2) - 0.01
    base_price = np.maximum(base_price, 0.49)
    margin = np.array([s.margin for s in subs]) * rng.uniform(0.8, 1.2, size=n)
    base_cost = np.round(base_price * (1 - margin), 2)
    # Suppliers serve a few neighbouring subcategories each.
    n_sup = len(suppliers)
    supplier_idx = (sub_idx * n_sup // len(cat.SUBCATEGORIES) + rng.integers(0, 2, size=n)) % n_sup
    lead = np.array([rng.integers(s.lead_time[0], s.lead_time[1] + 1) for s in subs])
    # Popularity: a long tail of slow movers and a few bestsellers.
    popularity = rng.lognormal(0.0, 1.0, size=n)
    launches_late = rng.random(n) < 0.2
    launch_day = np.where(
        launches_late, rng.integers(30, n_days - 60, size=n), -rng.integers(100, 3000, size=n)
    )
    discontinued = (rng.random(n) < 0.1) & (launch_day < n_days - 400)
    discontinued_day = np.where(discontinued, np.maximum(launch_day, 0) + rng.integers(300, 700, size=n), -1)
    discontinued_day = np.where(discontinued_day >= n_days - 30, -1, discontinued_day)
    names, brands_of = [], []
    for s in subs:
        brands = cat.BRANDS[s.category]
        noun = s.nouns[int(rng.integers(len(s.nouns)))]
        variant = cat.VARIANTS[s.category][int(rng.integers(len(cat.VARIANTS[s.category])))]
        brand = brands[int(rng.integers(len(brands)))]
        brands_of.append(brand)
        names.append(f"{brand} {noun} {variant}")
    return pd.DataFrame(
        {
            "product_code": [f"P{i + 1:05d}" for i in range(n)],
            "product_name": names,
            "category": [s.category for s in subs],
            "subcategory": [s.name for s in subs],
            "brand": brands_of,
            "supplier_code": suppliers["supplier_code"].to_numpy()[supplier_idx],
            "base_price": base_price,
            "base_cost": base_cost,
            "case_pack": [s.case_pack for s in subs],
            "lead_time_days": lead,
            "launch_day": launch_day,
            "discontinued_day": discontinued_day,
            "subcategory_idx": sub_idx,
            "profile": [s.profile for s in subs],
            "popularity": popularity,
            "return_rate": [s.return_rate for s in subs],
            "extra_units": [s.extra_units for s in subs],
            "supplier_idx": supplier_idx,
        }
    )


def _price_history(seed: int, products: pd.DataFrame, days: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """List-price changes: mostly inflation rises, some permanent cuts; cost moves with price."""
    rng = rng_for(seed, STREAM_PRICES)
    n_days = len(days)
    price_cents = np.empty((len(products), n_days), dtype=np.int64)
    rows = []
    for p, (code, base_price, base_cost) in enumerate(
        zip(products["product_code"], products["base_price"], products["base_cost"], strict=True)
    ):
        n_changes = int(rng.integers(0, 4))
        change_days = np.sort(rng.choice(np.arange(30, n_days - 30), size=n_changes, replace=False))
        factors = np.where(
            rng.random(n_changes) < 0.8,
            rng.uniform(1.02, 1.12, n_changes),
            rng.uniform(0.85, 0.95, n_changes),
        )
        bounds = [0, *change_days.tolist(), n_days]
        level = 1.0
        for k in range(len(bounds) - 1):
            if k > 0:
                level *= factors[k - 1]
            price = max(0.49, round(base_price * level, 2))
            cost = round(base_cost * level, 2)
            price_cents[p, bounds[k] : bounds[k + 1]] = round(price * 100)
            rows.append(
                (
                    code,
                    str(days[bounds[k]]),
                    str(days[bounds[k + 1] - 1]) if k < len(bounds) - 2 else None,
                    price,
                    cost,
                )
            )
    history = pd.DataFrame(
        rows, columns=["product_code", "valid_from", "valid_to", "list_price", "unit_cost"]
    )
    return history, price_cents


def _assortment(seed: int, stores: pd.DataFrame, products: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Which products each store lists: all of them in a hypermarket, the popular part in small formats."""
    rng = rng_for(seed, STREAM_STORES, 1)
    popularity_rank = np.argsort(np.argsort(-products["popularity"].to_numpy()))
    n_products = len(products)
    store_list, product_list = [], []
    for s, t in enumerate(stores["type_idx"]):
        share = cat.STORE_TYPES[t].assortment
        # Small stores favour popular products but still carry some of the long tail.
        keep_probability = np.clip(share * 1.6 * (1 - popularity_rank / n_products) + share * 0.2, 0, 1)
        keep = rng.random(n_products) < keep_probability if share < 1 else np.ones(n_products, bool)
        chosen = np.flatnonzero(keep)
        store_list.append(np.full(len(chosen), s, dtype=np.int32))
        product_list.append(chosen.astype(np.int32))
    return np.concatenate(store_list), np.concatenate(product_list)


def _customers(seed: int, scale: Scale, stores: pd.DataFrame, days: np.ndarray) -> pd.DataFrame:
    rng = rng_for(seed, STREAM_CUSTOMERS)
    n = scale.customers
    region_weights = stores.groupby("region_code")["traffic"].sum()
    regions = region_weights.index.to_numpy()
    region = rng.choice(len(regions), size=n, p=(region_weights / region_weights.sum()).to_numpy())
    seg_names, seg_p = zip(*cat.CUSTOMER_SEGMENTS, strict=True)
    tier_names, tier_p = zip(*cat.LOYALTY_TIERS, strict=True)
    signup_offset = np.where(
        rng.random(n) < 0.7, -rng.integers(1, 3000, size=n), rng.integers(0, len(days), size=n)
    )
    signup_days, signup_of = np.unique(signup_offset, return_inverse=True)
    # Categoricals, not a million Python strings per column: at scale l this is most of the world's memory.
    return pd.DataFrame(
        {
            "customer_code": [f"C{i + 1:07d}" for i in range(n)],
            "segment": pd.Categorical.from_codes(rng.choice(len(seg_names), size=n, p=seg_p), seg_names),
            "loyalty_tier": pd.Categorical.from_codes(
                rng.choice(len(tier_names), size=n, p=tier_p), tier_names
            ),
            "region_code": pd.Categorical.from_codes(region, regions),
            "signup_date": pd.Categorical.from_codes(
                signup_of, (days[0] + signup_days.astype("timedelta64[D]")).astype(str)
            ),
            "signup_day": signup_offset,
            "visit_weight": rng.pareto(1.5, size=n) + 0.2,  # a few customers shop very often
        }
    )


def _promotions(seed: int, scale: Scale, products: pd.DataFrame, days: np.ndarray) -> pd.DataFrame:
    """Price promotions per product, nationwide or in one region, one or two weeks long."""
    rng = rng_for(seed, STREAM_PROMOS)
    n_days = len(days)
    rows = []
    mean_gap = 365.0 / scale.promotions_per_product_year
    region_codes = [code for code, _ in cat.REGIONS]
    for p, code in enumerate(products["product_code"]):
        day = int(rng.integers(0, int(mean_gap)))
        while day < n_days - 7:
            duration = int(rng.choice([7, 14], p=[0.7, 0.3]))
            discount = float(
                rng.choice([0.10, 0.15, 0.20, 0.25, 0.30, 0.40], p=[0.15, 0.2, 0.25, 0.2, 0.15, 0.05])
            )
            region = None if rng.random() < 0.5 else region_codes[int(rng.integers(len(region_codes)))]
            rows.append((p, code, region, day, min(day + duration, n_days) - 1, discount))
            day += duration + 14 + int(rng.exponential(mean_gap))
    frame = pd.DataFrame(
        rows, columns=["product_idx", "product_code", "region_code", "start_day", "end_day", "discount_pct"]
    )
    frame = frame.sort_values(["start_day", "product_idx", "region_code"], na_position="first", kind="stable")
    frame = frame.reset_index(drop=True)
    frame.insert(0, "promo_code", [f"PR{i + 1:06d}" for i in range(len(frame))])
    frame["start_date"] = days[frame["start_day"].to_numpy()].astype(str)
    frame["end_date"] = days[frame["end_day"].to_numpy()].astype(str)
    frame["name"] = [
        f"{round(d * 100)}% off {products.loc[p, 'product_name']}"
        for d, p in zip(frame["discount_pct"], frame["product_idx"], strict=True)
    ]
    return frame


def _holidays(country: str, days: np.ndarray) -> pd.DataFrame:
    years = range(int(str(days[0])[:4]), int(str(days[-1])[:4]) + 1)
    calendar = holidays_lib.country_holidays(country, years=years)
    rows = sorted((str(d), name) for d, name in calendar.items())
    frame = pd.DataFrame(rows, columns=["date", "name"])
    frame.insert(0, "country_code", country)
    return frame


def _weather(seed: int, cities: pd.DataFrame, days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Daily mean temperature and rain per city: a yearly cycle by latitude plus persistent anomalies."""
    rng = rng_for(seed, STREAM_WEATHER)
    n_days = len(days)
    lat = cities["latitude"].to_numpy()
    maritime = cities["maritime"].to_numpy()
    mean = 43.0 - 0.8 * lat + np.where(maritime, 6.0, 0.0)
    amplitude = np.clip(0.5 * lat - 6.0, 4.0, 18.0) * np.where(maritime, 0.45, 1.0)
    doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
    cycle = -np.cos(2 * np.pi * (doy - 15) / 365.25)  # coldest mid-January
    anomaly = np.zeros((len(cities), n_days))
    shocks = rng.normal(0, 2.2, size=(len(cities), n_days))
    for d in range(1, n_days):
        anomaly[:, d] = 0.75 * anomaly[:, d - 1] + shocks[:, d]
    temperature = np.round(mean[:, None] + amplitude[:, None] * cycle[None, :] + anomaly, 1)
    rainy = rng.random((len(cities), n_days)) < np.where(maritime, 0.3, 0.25)[:, None]
    precipitation = np.round(np.where(rainy, rng.gamma(0.8, 7.0, size=(len(cities), n_days)), 0.0), 1)
    return temperature, precipitation
