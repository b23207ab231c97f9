"""Small panels with known structure, for fast model tests without a warehouse."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ml.panel import KNOWN_AHEAD, Panel


def weekly_panel(series: int = 40, days: int = 400, seed: int = 7) -> Panel:
    """Poisson demand with a weekly profile, per-series levels and promotions that lift sales 1.8×; a few
    deliberately awkward series: launched late, all zeros, constant, too short, gappy."""
    rng = np.random.default_rng(seed)
    start = dt.date(2024, 1, 1)
    weekday = np.array([(start + dt.timedelta(d)).weekday() for d in range(days)])
    profile = np.array([0.8, 0.8, 0.9, 1.0, 1.3, 1.6, 0.6])[weekday]
    level = rng.gamma(2.0, 1.5, size=series)[:, None]
    promoted = (rng.random((series, days)) < 0.06).astype(float)
    units = rng.poisson(level * profile * (1 + 0.8 * promoted)).astype(float)
    units[0, : days - 90] = np.nan  # launched 90 days before the end
    units[1] = 0.0  # never sold
    units[2] = 3.0  # constant
    units[3, : days - 10] = np.nan  # ten days of history only
    units[4, 100:160] = 0.0  # a gap (out of stock)
    frame = pd.DataFrame(
        {
            "store_code": [f"S{i % 4:03d}" for i in range(series)],
            "product_code": [f"P{i:05d}" for i in range(series)],
            "region_code": [f"R{i % 2}" for i in range(series)],
            "category": [f"C{i % 3}" for i in range(series)],
        }
    )
    known = {name: np.zeros((series, days)) for name in KNOWN_AHEAD}
    known["is_promoted"] = promoted
    known["promo_discount_pct"] = promoted * 20
    return Panel(series=frame, start=start, units=units, known=known)


def weekly_grain_panel(series: int = 60, weeks: int = 160, seed: int = 11) -> Panel:
    """Weekly sales (one column per week, Fridays) with a yearly shape, a holiday peak in late November
    and December, 15 % growth a year and per-series levels; series 0 launches 20 weeks before the end."""
    rng = np.random.default_rng(seed)
    start = dt.date(2021, 1, 1)  # a Friday
    dates = [start + dt.timedelta(weeks=w) for w in range(weeks)]
    week_of_year = np.array([d.isocalendar()[1] for d in dates])
    shape = 1 + 0.3 * np.sin(2 * np.pi * week_of_year / 52) + np.isin(week_of_year, (47, 51)) * 0.9
    growth = 1.15 ** (np.arange(weeks) / 52)
    level = rng.gamma(3.0, 200.0, size=series)[:, None]
    units = rng.normal(level * shape * growth, 0.08 * level).clip(0)
    units[0, : weeks - 20] = np.nan
    frame = pd.DataFrame(
        {
            "store_code": [f"{i % 5 + 1:02d}" for i in range(series)],
            "product_code": [f"{i:03d}" for i in range(series)],
            "region_code": [f"R{i % 2}" for i in range(series)],
            "category": [f"D{i % 4}" for i in range(series)],
        }
    )
    known = {name: np.zeros((series, weeks)) for name in KNOWN_AHEAD}
    known["is_holiday"][:] = np.isin(week_of_year, (47, 51)).astype(float)
    return Panel(series=frame, start=start, units=units, known=known, period_days=7)
