"""Demand drivers as factors per day: seasonality, holidays, weekday, weather, prices, store trend.

The daily simulation multiplies them into an expected number of sale lines per (store, product) series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic import catalogue as cat
from synthetic.world import World

# Mon..Sun. Big formats peak on Saturday; express stores serve commuters on weekdays.
WEEKLY = {
    "Hypermarket": np.array([0.82, 0.80, 0.86, 0.95, 1.15, 1.48, 0.94]),
    "Supermarket": np.array([0.88, 0.86, 0.90, 0.97, 1.12, 1.32, 0.95]),
    "Express": np.array([1.08, 1.08, 1.08, 1.06, 1.02, 0.88, 0.80]),
}
GIFT_CATEGORIES = {"Electronics", "Toys", "Apparel", "Home & Garden"}
CLOSED_HOLIDAYS = ("Thanksgiving", "Christmas Day")  # every store closes on these days
PROMO_ELASTICITY = 2.5  # lift = (1 - discount) ** -elasticity: 20 % off sells about 1.75x
PRICE_ELASTICITY = 1.2  # list-price changes move demand the other way, less strongly
CANNIBALISATION_PER_PROMO = 0.10  # a promoted sibling takes this share of a product's demand
MEAN_BASKET_LINES = 2.3


@dataclass
class DemandFactors:
    """Per-day factors, indexed [group, day]; the simulation picks rows by series."""

    closed: np.ndarray  # [day] all stores closed
    subcategory_day: np.ndarray  # [subcategory, day] seasonality x holidays
    store_day: np.ndarray  # [store, day] traffic x trend x ramp-up, 0 before opening
    weekday_store: np.ndarray  # [store, weekday]
    weather: np.ndarray  # [city, profile, day]
    product_day: np.ndarray  # [product, day] launch ramp x list-price response
    planning_subcategory_day: np.ndarray  # [subcategory, day] what the buyer expects over the next weeks


def demand_factors(world: World) -> DemandFactors:
    days = world.days
    n_days = len(days)
    doy = (days - days.astype("datetime64[Y]")).astype(np.int64)
    month = (days.astype("datetime64[M]").astype(np.int64) % 12) + 1
    profile_day = _profile_factors(days, doy)
    events, gift_events, closed = _holiday_events(world, n_days)
    january_dip = np.where(month == 1, 0.9, 1.0)
    sub_rows = []
    for sub in cat.SUBCATEGORIES:
        ev = gift_events if sub.category in GIFT_CATEGORIES else events
        sub_rows.append(profile_day[sub.profile] * ev * january_dip)
    subcategory_day = np.array(sub_rows)

    stores = world.stores
    t = np.arange(n_days)
    years = t / 365.25
    open_day = stores["open_day"].to_numpy()[:, None]
    age = t[None, :] - open_day
    ramp = np.clip(0.5 + 0.5 * age / 120.0, 0.0, 1.0) * (age >= 0)
    store_day = (
        stores["traffic"].to_numpy()[:, None]
        * np.exp(stores["trend"].to_numpy()[:, None] * years[None, :])
        * ramp
    )
    weekday_store = np.array([WEEKLY[t_] / WEEKLY[t_].mean() for t_ in stores["store_type"]])

    temp = world.temperature_c
    rain = world.precipitation_mm
    weather = np.ones((len(world.cities), len(cat.PROFILE_NAMES), n_days))
    heat = np.clip(1 + 0.035 * (temp - 18.0), 0.55, 1.8)
    weather[:, cat.HOT_WEATHER, :] = heat
    weather[:, cat.SUMMER, :] = np.clip(1 + 0.02 * (temp - 18.0), 0.7, 1.4)
    weather *= np.where(rain > 8.0, 0.88, 1.0)[:, None, :]

    products = world.products
    launch = products["launch_day"].to_numpy()[:, None]
    since_launch = t[None, :] - launch
    launch_ramp = np.clip(0.3 + 0.7 * since_launch / 60.0, 0.0, 1.0) * (since_launch >= 0)
    base_cents = world.price_cents[:, :1].astype(float)
    price_response = (world.price_cents / base_cents) ** -PRICE_ELASTICITY
    product_day = launch_ramp * price_response

    # Buyers know the season: they plan on the mean factor of the coming three weeks.
    window = 21
    padded = np.concatenate([subcategory_day, np.repeat(subcategory_day[:, -1:], window, axis=1)], axis=1)
    csum = np.cumsum(np.concatenate([np.zeros((len(sub_rows), 1)), padded], axis=1), axis=1)
    planning = (csum[:, window : window + n_days] - csum[:, :n_days]) / window
    return DemandFactors(closed, subcategory_day, store_day, weekday_store, weather, product_day, planning)


def _profile_factors(days: np.ndarray, doy: np.ndarray) -> np.ndarray:
    month_day = days - days.astype("datetime64[M]")
    month = (days.astype("datetime64[M]").astype(np.int64) % 12) + 1
    dom = month_day.astype(np.int64) + 1
    # The December gift peak: builds from late November to Christmas Eve, then falls away.
    dec_peak = np.zeros(len(days))
    nov = (month == 11) & (dom >= 20)
    dec = (month == 12) & (dom <= 24)
    dec_peak[nov] = ((dom[nov] - 20) / 34.0) ** 1.5
    dec_peak[dec] = ((dom[dec] + 10) / 34.0) ** 1.5
    dec_peak[(month == 12) & (dom > 25)] = 0.25
    summer = np.cos(2 * np.pi * (doy - 196) / 365.25)  # +1 mid-July, -1 mid-January

    def bump(center_doy: int, width: float) -> np.ndarray:
        return np.exp(-0.5 * ((doy - center_doy) / width) ** 2)

    factors = np.empty((len(cat.PROFILE_NAMES), len(days)))
    factors[cat.FLAT] = 1 + 0.30 * dec_peak
    factors[cat.SUMMER] = np.maximum(0.2, 1 + 0.55 * summer) + 0.15 * dec_peak
    factors[cat.WINTER_HOLIDAY] = 0.85 - 0.08 * summer + 2.2 * dec_peak
    factors[cat.BACK_TO_SCHOOL] = 0.8 + 2.0 * bump(225, 14) + 0.3 * dec_peak
    factors[cat.SPRING] = 0.85 + 0.9 * bump(120, 30) + 0.2 * dec_peak
    factors[cat.HOT_WEATHER] = 1 + 0.2 * summer + 0.3 * dec_peak
    return factors


def _holiday_events(world: World, n_days: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lifts around public holidays of the country calendar; closing days."""
    day_index = {str(d): i for i, d in enumerate(world.days)}
    events = np.ones(n_days)
    gift = np.ones(n_days)
    closed = np.zeros(n_days, dtype=bool)

    def lift(i: int, everything: float, gifts: float | None = None) -> None:
        if 0 <= i < n_days:
            events[i] *= everything
            gift[i] *= gifts if gifts is not None else everything

    for date, name in zip(world.holidays["date"], world.holidays["name"], strict=True):
        i = day_index.get(date)
        if i is None:
            continue
        if any(name.startswith(c) for c in CLOSED_HOLIDAYS):
            closed[i] = True
            if name.startswith("Thanksgiving"):
                lift(i - 1, 1.7, 1.2)  # the grocery run before the feast
                lift(i - 2, 1.3, 1.1)
                lift(i + 1, 1.5, 2.6)  # Black Friday
                lift(i + 2, 1.2, 1.6)
                lift(i + 4, 1.0, 1.4)  # Cyber Monday spills into stores
            else:
                lift(i - 1, 1.45, 1.5)  # Christmas Eve
                lift(i + 1, 1.2, 1.4)  # exchanges and gift cards
        elif "observed" not in name:
            lift(i, 1.25)
            lift(i - 1, 1.15)
    return events, gift, closed
