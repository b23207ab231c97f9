"""POS exports: one CSV file per store per day, in each store's own dialect (delimiter, encoding, dates)."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from synthetic import catalogue as cat
from synthetic.dirt import KINDS, Columns, DirtContext, DirtLog, apply_dirt, format_money
from synthetic.files import FileSink
from synthetic.scales import Scale
from synthetic.simulation import PosLines
from synthetic.world import World, build_world, rng_for

STREAM_DIRT = 200_000  # + day index, store index

POS_COLUMNS = (
    "transaction_id",
    "line_number",
    "transaction_type",
    "transaction_ts",
    "store_code",
    "product_code",
    "product_description",
    "quantity",
    "unit_price",
    "line_amount",
    "promo_code",
    "customer_id",
    "payment_type",
    "original_transaction_id",
)
COLUMNS = Columns(
    names=POS_COLUMNS, txn=0, line=1, ts=3, store=4, product=5, quantity=7, unit_price=8, line_amount=9
)

# strftime patterns of each POS dialect; readers must know all of them.
DATE_FORMATS = {
    "iso": "%Y-%m-%d %H:%M:%S",
    "iso_t": "%Y-%m-%dT%H:%M:%S",
    "us": "%m/%d/%Y %I:%M:%S %p",
    "eu": "%d.%m.%Y %H:%M",
}
_DATE_PART = {"iso": "%Y-%m-%d ", "iso_t": "%Y-%m-%dT", "us": "%m/%d/%Y ", "eu": "%d.%m.%Y "}


def pos_file_path(store_code: str, day: dt.date) -> str:
    """Where a store's export for a day lands, relative to the output folder."""
    return f"pos/{day.isoformat()}/pos_{store_code}_{day.strftime('%Y%m%d')}.csv"


class _TextCache(dict[int, str]):
    """Number -> text, computed once: prices and quantities repeat across millions of lines."""

    def __init__(self, render) -> None:
        super().__init__()
        self.render = render

    def __missing__(self, key: int) -> str:
        text = self[key] = self.render(key)
        return text


class PosExporter:
    def __init__(
        self,
        world: World,
        out: Path,
        dirt_rate: float,
        seed: int,
        dirt_log: DirtLog,
        sink: FileSink,
        part: int = 0,
        parts: int = 1,
    ) -> None:
        self.world = world
        self.sink = sink
        self.out = out
        self.dirt_rate = dirt_rate
        self.seed = seed
        self.log = dirt_log
        self.time_text = {fmt: _times_of_day(fmt) for fmt in DATE_FORMATS}
        self.store_codes = world.stores["store_code"].tolist()
        self.product_codes = world.products["product_code"].tolist()
        self.product_names = world.products["product_name"].tolist()
        for name in self.product_names:
            if any(ch in name for ch in ',;"\n'):
                raise ValueError(f"product name {name!r} would need CSV quoting")
        self.customer_codes = [*world.customers["customer_code"].tolist(), ""]  # index -1 -> anonymous
        self.promo_codes = [*world.promotions["promo_code"].tolist(), ""]
        self.payment_names = [name for name, _ in cat.PAYMENT_TYPES]
        self.txn_suffix = [f"-{t:05d}" for t in range(100_000)]
        self.ints = _TextCache(str)
        self.money = {
            False: _TextCache(lambda c: format_money(c, False)),
            True: _TextCache(lambda c: format_money(c, True)),
        }
        self.day_stamp = [str(d).replace("-", "") for d in world.days]
        self.files_written = 0
        self.part, self.parts = part, parts
        self.export_end = dt.date.fromisoformat(str(world.days[-1]))

    def write_day(self, index: int, open_stores: np.ndarray, pos: PosLines) -> int:
        """Write the day's export of every open store in this writer's share; return the data rows written.

        Dirt draws come from a stream per store and day, so the bytes do not depend on how stores are
        shared among writers.
        """
        date = dt.date.fromisoformat(str(self.world.days[index]))
        bounds = np.searchsorted(pos.store, np.arange(len(self.store_codes) + 1))
        date_text = {fmt: date.strftime(pattern) for fmt, pattern in _DATE_PART.items()}
        folder = self.out / "pos" / date.isoformat()
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for s in np.flatnonzero(open_stores):
            if s % self.parts != self.part:
                continue
            lo, hi = int(bounds[s]), int(bounds[s + 1])
            rng = rng_for(self.seed, STREAM_DIRT, index, int(s))
            written += self._write_store_day(int(s), date, index, date_text, pos, lo, hi, rng)
        return written

    def _write_store_day(
        self,
        s: int,
        date: dt.date,
        d: int,
        date_texts: dict[str, str],
        pos: PosLines,
        lo: int,
        hi: int,
        rng: np.random.Generator,
    ) -> int:
        profile = self.world.export_profiles[s]
        fmt = profile.date_format if d >= profile.date_format_from else profile.date_format_before
        store_code = self.store_codes[s]
        prefix = f"{store_code}-{self.day_stamp[d]}"
        date_text = date_texts[fmt]
        times = self.time_text[fmt]
        money = self.money[profile.decimal_comma]
        ints, suffix, products, names = self.ints, self.txn_suffix, self.product_codes, self.product_names
        promos, customers, payments, stamps = (
            self.promo_codes,
            self.customer_codes,
            self.payment_names,
            self.day_stamp,
        )
        seconds = pos.second[lo:hi].tolist()
        quantity = pos.quantity[lo:hi]
        rows = [
            (
                prefix + suffix[txn],
                ints[line],
                "RETURN" if ret else "SALE",
                date_text + times[sec],
                store_code,
                products[prod],
                names[prod],
                ints[qty],
                money[price],
                money[amount],
                promos[promo],
                customers[cust],
                "" if ret else payments[pay],
                f"{store_code}-{stamps[o_day]}{suffix[o_txn]}" if ret else "",
            )
            for txn, line, ret, sec, prod, qty, price, amount, promo, cust, pay, o_day, o_txn in zip(
                pos.txn[lo:hi].tolist(),
                pos.line[lo:hi].tolist(),
                pos.is_return[lo:hi].tolist(),
                seconds,
                pos.product[lo:hi].tolist(),
                quantity.tolist(),
                pos.unit_price_cents[lo:hi].tolist(),
                (pos.unit_price_cents[lo:hi] * quantity).tolist(),
                pos.promo[lo:hi].tolist(),
                pos.customer[lo:hi].tolist(),
                pos.payment[lo:hi].tolist(),
                pos.original_day[lo:hi].tolist(),
                pos.original_txn[lo:hi].tolist(),
                strict=True,
            )
        ]
        path = pos_file_path(store_code, date)
        if self.dirt_rate > 0 and rows:
            is_sale = ~pos.is_return[lo:hi]
            dirty = (rng.random(len(rows)) < self.dirt_rate) & is_sale
            kinds = rng.integers(0, len(KINDS), size=int(dirty.sum()))
            ctx = DirtContext(
                path=path,
                delimiter=profile.delimiter,
                decimal_comma=profile.decimal_comma,
                format_timestamp=lambda when, f=fmt: when.strftime(DATE_FORMATS[f]),
                day=date,
                export_end=self.export_end,
            )
            rows = apply_dirt(rows, dirty, kinds, seconds, COLUMNS, ctx, rng, self.log)
        delimiter = profile.delimiter
        text = delimiter.join(POS_COLUMNS) + "\n" + "".join(delimiter.join(row) + "\n" for row in rows)
        self.sink.write(self.out / path, text.encode(profile.encoding))
        self.files_written += 1
        return len(rows)


def _times_of_day(fmt: str) -> list[str]:
    """The time-of-day text of every second, in a dialect's format."""
    if fmt == "us":
        return [
            f"{(h % 12) or 12:02d}:{m:02d}:{s:02d} {'PM' if h >= 12 else 'AM'}"
            for h in range(24)
            for m in range(60)
            for s in range(60)
        ]
    if fmt == "eu":
        return [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60) for _ in range(60)]
    return [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]


@dataclass(frozen=True)
class PosJob:
    """What the POS writer process needs to rebuild the world and write the exports."""

    seed: int
    scale: Scale
    start: dt.date
    years: int
    country: str
    out: Path
    dirt_rate: float
    part: int = 0  # this writer exports the stores with index % parts == part
    parts: int = 1


def dirt_log_part(out: Path, part: int) -> Path:
    return out / f".dirt.part{part}.jsonl"


def pos_writer_main() -> None:
    """Child-process entry point: formats and writes POS files for each day the parent pickles to stdin.

    Frames on stdin: one PosJob, then (day index, open stores, PosLines) per day, then None.
    The world is rebuilt from the seed (it is a pure function of it) rather than pickled across.
    Pickles one ("ok", files, rows, dirt counts) or ("error", traceback) to stdout when done.
    """
    source = sys.stdin.buffer
    sink_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the result frame
    try:
        job: PosJob = pickle.load(source)
        world = build_world(job.seed, job.scale, job.start, job.years, job.country)
        # one writer process per core overlaps file creation better than threads contending for the GIL
        sink = FileSink(threads=0)
        rows = 0
        try:
            with dirt_log_part(job.out, job.part).open("w", encoding="utf-8") as stream:
                log = DirtLog(stream)
                exporter = PosExporter(
                    world, job.out, job.dirt_rate, job.seed, log, sink, job.part, job.parts
                )
                while (item := pickle.load(source)) is not None:
                    rows += exporter.write_day(*item)
        finally:
            sink.close()
        outcome: tuple[object, ...] = ("ok", exporter.files_written, rows, dict(log.counts))
    except BaseException:
        outcome = ("error", traceback.format_exc())
    pickle.dump(outcome, sink_out)
    sink_out.flush()


if __name__ == "__main__":
    pos_writer_main()
