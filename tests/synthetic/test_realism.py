"""The synthetic retailer behaves like one: read back from its files, as ingestion will read them."""

from __future__ import annotations

import datetime as dt
import io
from functools import cache
from pathlib import Path

import holidays
import numpy as np
import pandas as pd

from tests.synthetic.pos_reader import clean_sales, erp, manifest


@cache
def daily_units(root: Path) -> pd.DataFrame:
    """Units sold per store, product and day (sales only)."""
    sales = clean_sales(root)
    sales = sales[sales["type"] == "SALE"]
    return sales.groupby(["store", "product", "date"], as_index=False)["quantity"].sum()


@cache
def inventory(root: Path) -> pd.DataFrame:
    texts = []
    for path in sorted((root / "inventory").glob("inventory_*.csv")):
        texts.append(path.read_text(encoding="utf-8").partition("\n")[2])
    frame = pd.read_csv(
        io.StringIO("".join(texts)),
        names=["date", "store", "product", "on_hand", "on_order"],
        parse_dates=["date"],
    )
    return frame


def _all_days(root: Path) -> pd.DatetimeIndex:
    m = manifest(root)
    return pd.date_range(m["start_date"], m["end_date"], freq="D")


def test_weekly_pattern(clean_xs_dataset: Path) -> None:
    units = daily_units(clean_xs_dataset).groupby("date")["quantity"].sum()
    units = units.reindex(_all_days(clean_xs_dataset), fill_value=0)
    units = units[units > 0]  # closed days are not a weekday effect
    by_weekday = units.groupby(units.index.dayofweek).mean()
    ratio = by_weekday.max() / by_weekday.min()
    assert ratio > 1.25, f"weekday means {by_weekday.round(1).to_dict()}, max/min {ratio:.2f}"


def test_december_peak(clean_xs_dataset: Path) -> None:
    units = daily_units(clean_xs_dataset).groupby("date")["quantity"].sum()
    units = units.reindex(_all_days(clean_xs_dataset), fill_value=0)
    for year in sorted(set(units.index.year)):
        # the gift season against the autumn before it, so that store openings (trend) do not blur it
        before_christmas = units[f"{year}-12-01" : f"{year}-12-23"].mean()
        autumn = units[f"{year}-10-01" : f"{year}-11-15"].mean()
        ratio = before_christmas / autumn
        assert ratio > 1.15, f"{year}: mean daily units Dec 1-23 / Oct 1-Nov 15 = {ratio:.2f}"


def test_real_holiday_calendar(clean_xs_dataset: Path) -> None:
    m = manifest(clean_xs_dataset)
    calendar = holidays.country_holidays("US", years=range(2023, 2026))
    closed = [
        day for day, name in calendar.items() if name in ("Thanksgiving Day", "Thanksgiving", "Christmas Day")
    ]
    assert len(closed) == 6, closed
    for day in closed:
        assert not list(clean_xs_dataset.glob(f"pos/{day.isoformat()}/*.csv")), f"POS files on {day}"
    units = daily_units(clean_xs_dataset).groupby("date")["quantity"].sum()
    lifts = []
    for day, name in calendar.items():
        if name.startswith("Thanksgiving") and dt.date.fromisoformat(m["start_date"]) <= day:
            black_friday = pd.Timestamp(day + dt.timedelta(days=1))
            fridays = [black_friday + pd.Timedelta(weeks=w) for w in (-4, -3, -2, 2, 3)]
            lifts.append(units.get(black_friday, 0) / np.mean([units.get(f, 0) for f in fridays]))
    assert len(lifts) == 3 and min(lifts) > 1.5, f"Black Friday / surrounding Fridays: {np.round(lifts, 2)}"


def test_promotions_lift_sales(clean_xs_dataset: Path) -> None:
    import json

    promos = pd.DataFrame(
        json.loads((clean_xs_dataset / "api" / "promotions.json").read_text(encoding="utf-8"))
    )
    stores = erp(clean_xs_dataset, "SELECT store_code, region_code FROM stores")
    units = daily_units(clean_xs_dataset).set_index(["store", "product", "date"])["quantity"]
    stock = inventory(clean_xs_dataset).set_index(["store", "product", "date"])["on_hand"]
    promo_units, base_units = 0.0, 0.0
    for promo in promos.itertuples():
        for store in stores.loc[stores["region_code"] == promo.region_code, "store_code"]:
            days = pd.date_range(promo.start_date, promo.end_date, freq="D")
            on = sum(units.get((store, promo.product_code, d), 0) for d in days)
            controls = [d + pd.Timedelta(weeks=w) for d in days for w in (-4, -3, 3, 4)]
            if not all(
                stock.get((store, promo.product_code, d - pd.Timedelta(days=1)), 0) > 0 for d in controls
            ):
                continue  # compare only with days that had stock: stock-outs are not a promotion effect
            off = sum(units.get((store, promo.product_code, d), 0) for d in controls) / 4
            promo_units += on
            base_units += off
    lift = promo_units / base_units
    assert base_units > 500 and lift > 1.3, (
        f"promo units {promo_units:.0f} vs comparable {base_units:.0f}: {lift:.2f}"
    )


def test_stock_outs_have_no_sales(clean_xs_dataset: Path) -> None:
    stock = inventory(clean_xs_dataset)
    receipts = erp(
        clean_xs_dataset,
        "SELECT store_code AS store, product_code AS product, received_date AS date, "
        "SUM(quantity_received) AS received FROM goods_receipts GROUP BY 1, 2, 3",
    )
    receipts["date"] = pd.to_datetime(receipts["date"])
    empty = stock[stock["on_hand"] == 0][["store", "product", "date"]].copy()
    empty["date"] = empty["date"] + pd.Timedelta(days=1)  # empty at last night's close ...
    empty = empty.merge(receipts, how="left", on=["store", "product", "date"])
    empty = empty[empty["received"].isna()]  # ... and nothing delivered this morning
    sales = clean_sales(clean_xs_dataset)
    returned = sales[sales["type"] == "RETURN"][["store", "product", "date"]].drop_duplicates()
    empty = empty.merge(returned, how="left", on=["store", "product", "date"], indicator=True)
    empty = empty[empty["_merge"] == "left_only"].drop(columns="_merge")  # a return restocks the shelf
    sold = empty.merge(daily_units(clean_xs_dataset), on=["store", "product", "date"])
    assert len(empty) > 1000, f"only {len(empty)} stock-out days"
    assert sold.empty, f"{len(sold)} stock-out days with sales, e.g. {sold.head(3).to_dict('records')}"


def test_inventory_balances(clean_xs_dataset: Path) -> None:
    stock = inventory(clean_xs_dataset)
    sales = clean_sales(clean_xs_dataset)
    moves = (
        sales.assign(
            sold=np.where(sales["type"] == "SALE", sales["quantity"], 0),
            returned=np.where(sales["type"] == "RETURN", -sales["quantity"], 0),
        )
        .groupby(["store", "product", "date"])[["sold", "returned"]]
        .sum()
    )
    receipts = erp(
        clean_xs_dataset,
        "SELECT store_code AS store, product_code AS product, received_date AS date, "
        "SUM(quantity_received) AS received FROM goods_receipts GROUP BY 1, 2, 3",
    )
    receipts["date"] = pd.to_datetime(receipts["date"])
    closing = stock.set_index(["store", "product", "date"])["on_hand"]
    previous = closing.rename("opening").reset_index()
    previous["date"] += pd.Timedelta(days=1)
    days = _all_days(clean_xs_dataset)
    keys = pd.concat(
        [
            closing.reset_index()[["store", "product", "date"]],
            previous[["store", "product", "date"]],
            moves.reset_index()[["store", "product", "date"]],
            receipts[["store", "product", "date"]],
        ]
    )
    keys = keys.drop_duplicates()
    keys = keys[(keys["date"] > days[0]) & (keys["date"] <= days[-1])]
    book = (
        keys.merge(previous, how="left")
        .merge(receipts, how="left")
        .merge(moves.reset_index(), how="left")
        .merge(closing.reset_index(), how="left")
        .fillna(0)
    )  # absent from a snapshot = nothing on hand
    expected = book["opening"] + book["received"] - book["sold"] + book["returned"]
    bad = book[expected != book["on_hand"]]
    assert len(book) > 100_000
    assert bad.empty, (
        f"{len(bad)} of {len(book)} series-days do not balance, e.g. {bad.head(3).to_dict('records')}"
    )
    assert (stock["on_hand"] >= 0).all()


def test_returns_reference_earlier_sales(clean_xs_dataset: Path) -> None:
    sales = clean_sales(clean_xs_dataset)
    returns = sales[sales["type"] == "RETURN"]
    assert len(returns) > 0.01 * (sales["type"] == "SALE").sum()
    assert (returns["quantity"] < 0).all()
    originals = sales[sales["type"] == "SALE"].groupby("txn")[["store", "date"]].first()
    matched = returns.join(originals, on="original_txn", rsuffix="_original")
    assert matched["date_original"].notna().all(), "returns without their original sale"
    assert (matched["store_original"] == matched["store"]).all()
    assert (matched["date_original"] < matched["date"]).all()


def test_price_changes_reach_the_tills(clean_xs_dataset: Path) -> None:
    prices = erp(clean_xs_dataset, "SELECT product_code, COUNT(*) AS n FROM product_prices GROUP BY 1")
    changed = prices.loc[prices["n"] > 1, "product_code"]
    assert len(changed) > 0.5 * len(prices)
    sales = clean_sales(clean_xs_dataset)
    full_price = sales[(sales["type"] == "SALE") & (sales["promo"] == "")]
    distinct = full_price.groupby("product")["unit_price"].nunique()
    assert (distinct.reindex(changed).fillna(0) > 1).mean() > 0.8


def test_launches_and_discontinuations(clean_xs_dataset: Path) -> None:
    products = erp(clean_xs_dataset, "SELECT product_code, launch_date, discontinued_date FROM products")
    sales = clean_sales(clean_xs_dataset)
    span = sales[sales["type"] == "SALE"].groupby("product")["date"].agg(["min", "max"])
    products = products.join(span, on="product_code")
    start, end = _all_days(clean_xs_dataset)[[0, -1]]
    launched = products[pd.to_datetime(products["launch_date"]) > start]
    stopped = products[products["discontinued_date"].notna()]
    assert len(launched) >= 3 and len(stopped) >= 3
    assert (launched["min"] >= pd.to_datetime(launched["launch_date"])).all()
    assert (launched["min"] > start + pd.Timedelta(days=30)).all()
    # a discontinued product sells off its remaining stock, then nothing: no reorders after the date
    last_sale = stopped["max"] - pd.to_datetime(stopped["discontinued_date"])
    assert (stopped["max"] < end - pd.Timedelta(days=30)).any(), stopped
    assert (last_sale < pd.Timedelta(days=120)).all(), last_sale.describe()
