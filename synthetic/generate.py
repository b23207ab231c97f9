"""Generate the synthetic retailer's source systems into one output folder, atomically.

Layout of the output (all paths relative to it):
    manifest.json                   what was generated, counts per output and per dirt kind
    dirt.jsonl                      one line per dirtied POS row: file, line, kind, original value
    pos/<date>/pos_<store>_<yyyymmdd>.csv   POS exports, one per open store per day
    inventory/inventory_<yyyymmdd>.csv      the warehouse system's nightly stock snapshot
    erp.sqlite                      the ERP database (unless erp_url points at PostgreSQL)
    api/{promotions,holidays,weather}.json  what the marketing/calendar/weather REST API serves
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

import synthetic
from shelfcast.errors import ShelfcastError
from synthetic.demand import demand_factors
from synthetic.dirt import KINDS
from synthetic.erp import ErpWriter, PostgresErp, SqliteErp
from synthetic.files import FileSink
from synthetic.pos_export import DATE_FORMATS, PosJob, dirt_log_part
from synthetic.scales import SCALES, ScaleName
from synthetic.simulation import Day, simulate
from synthetic.world import World, build_world

MANIFEST = "manifest.json"
POS_WRITERS = 2  # with the simulating parent, enough to keep two cores busy while files are created
FORMAT_VERSION = 1


@dataclass(frozen=True)
class GenerateOptions:
    out: Path
    scale: ScaleName = ScaleName.s
    seed: int = 42
    dirt_rate: float = 0.02
    start: dt.date = dt.date(2023, 1, 1)
    years: int = 3
    country: str = "US"
    erp_url: str | None = None  # PostgreSQL URL; None writes erp.sqlite into the output


@dataclass
class GenerateResult:
    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    dirt: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


ProgressCallback = Callable[[int, int, dict[str, int]], None]


def generate(options: GenerateOptions, progress: ProgressCallback | None = None) -> GenerateResult:
    """Write every source system of the retailer to `options.out`, replacing a previous generation whole."""
    _validate(options)
    started = time.perf_counter()
    out = options.out.resolve()
    _remove_leftovers(out)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        partial.mkdir(parents=True)
    except OSError as error:
        raise ShelfcastError(
            f"cannot write to {out.parent}: {error.strerror}", hint="pass a writable folder with --out"
        ) from None
    erp: ErpWriter | None = None
    try:
        world = build_world(
            options.seed, SCALES[options.scale], options.start, options.years, options.country
        )
        erp = PostgresErp(options.erp_url) if options.erp_url else SqliteErp(partial / "erp.sqlite")
        result = _write_all(world, options, partial, erp, progress)
        erp.commit()
        erp = None
        _publish(partial, out)
    except BaseException:
        if erp is not None:
            erp.abort()
        shutil.rmtree(partial, ignore_errors=True)
        raise
    result.out = out
    result.seconds = time.perf_counter() - started
    return result


def _validate(options: GenerateOptions) -> None:
    if options.seed < 0 or options.seed >= 2**63:
        raise ShelfcastError(f"seed {options.seed} is out of range", hint="use an integer from 0 to 2**63-1")
    if not 0.0 <= options.dirt_rate <= 0.5:
        raise ShelfcastError(
            f"dirt rate {options.dirt_rate} is out of range", hint="use a share from 0 to 0.5"
        )
    if options.years < 1 or options.years > 10:
        raise ShelfcastError(
            f"years {options.years} is out of range",
            hint="use 1 to 10 years (3 or more for yearly seasonality)",
        )
    out = options.out.resolve()
    if out.exists() and not out.is_dir():
        raise ShelfcastError(f"output {out} is a file", hint="pass a folder with --out")
    if out.exists() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise ShelfcastError(
            f"output folder {out} is not empty and holds no earlier generation ({MANIFEST} missing)",
            hint="pass an empty or new folder with --out; shelfcast only replaces its own output",
        )
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ShelfcastError(f"cannot write to {parent}", hint="pass a writable folder with --out")


def _remove_leftovers(out: Path) -> None:
    """A killed run leaves a hidden `.<out>.partial-<pid>` folder (never the output itself): clear it."""
    if not out.parent.is_dir():
        return
    for leftover in out.parent.glob(f".{out.name}.*-*"):
        kind, _, pid = leftover.name.rpartition("-")
        if kind.endswith((".partial", ".retired")) and pid.isdigit() and not _process_alive(int(pid)):
            shutil.rmtree(leftover, ignore_errors=True)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _publish(partial: Path, out: Path) -> None:
    """Swap the finished folder into place; the old generation is removed only after the new one is in."""
    if out.exists():
        retired = out.parent / f".{out.name}.retired-{os.getpid()}"
        out.rename(retired)
        partial.rename(out)
        shutil.rmtree(retired)
    else:
        partial.rename(out)


def _write_all(
    world: World, options: GenerateOptions, root: Path, erp: ErpWriter, progress: ProgressCallback | None
) -> GenerateResult:
    counts = {
        "pos_files": 0,
        "pos_rows": 0,
        "sale_lines": 0,
        "return_lines": 0,
        "inventory_rows": 0,
        "purchase_orders": 0,
        "purchase_order_lines": 0,
        "goods_receipts": 0,
    }
    _write_master_data(world, erp)
    factors = demand_factors(world)
    writer = _PosWriters(
        [
            PosJob(
                options.seed,
                world.scale,
                options.start,
                options.years,
                options.country,
                root,
                options.dirt_rate,
                part,
                POS_WRITERS,
            )
            for part in range(POS_WRITERS)
        ]
    )
    sink = FileSink()
    try:
        purchasing = _Purchasing(world, erp)
        inventory = _InventoryExport(world, root / "inventory", sink)
        for day in simulate(world, factors, options.seed):
            writer.send((day.index, day.open_stores, day.pos))
            counts["sale_lines"] += int((~day.pos.is_return).sum())
            counts["return_lines"] += int(day.pos.is_return.sum())
            counts["inventory_rows"] += inventory.write_day(day)
            purchasing.add(day)
            if progress is not None:
                progress(day.index + 1, world.n_days, counts)
        purchasing.flush()
        sink.close()
        counts["pos_files"], counts["pos_rows"], dirt = writer.finish()
    finally:
        sink.close()
        writer.stop()
    counts["purchase_orders"] = purchasing.orders
    counts["purchase_order_lines"] = purchasing.lines
    counts["goods_receipts"] = purchasing.receipts
    counts.update(_write_api_data(world, root / "api"))
    counts.update(
        {
            "stores": len(world.stores),
            "products": len(world.products),
            "customers": len(world.customers),
            "suppliers": len(world.suppliers),
            "promotions": len(world.promotions),
        }
    )
    _write_manifest(world, options, root, erp, counts, dirt)
    return GenerateResult(out=root, counts=counts, dirt=dirt)


def _write_master_data(world: World, erp: ErpWriter) -> None:
    days = world.days

    def date_of(day: int) -> str:
        return str(days[0] + np.timedelta64(int(day), "D"))

    erp.append("regions", list(world.regions.itertuples(index=False, name=None)))
    s = world.stores
    erp.append(
        "stores",
        [
            (
                r.store_code,
                r.store_name,
                r.region_code,
                r.city,
                r.state,
                r.store_type,
                int(r.size_sqm),
                date_of(int(r.open_day)),
                float(r.latitude),
                float(r.longitude),
            )
            for r in s.itertuples(index=False)
        ],
    )
    erp.append(
        "suppliers",
        list(
            world.suppliers[["supplier_code", "supplier_name", "country_code"]].itertuples(
                index=False, name=None
            )
        ),
    )
    last_price = world.price_history.groupby("product_code").tail(1).set_index("product_code")
    erp.append(
        "products",
        [
            (
                r.product_code,
                r.product_name,
                r.category,
                r.subcategory,
                r.brand,
                r.supplier_code,
                _money(last_price.loc[r.product_code, "list_price"]),
                _money(last_price.loc[r.product_code, "unit_cost"]),
                int(r.case_pack),
                int(r.lead_time_days),
                date_of(int(r.launch_day)),
                date_of(int(r.discontinued_day)) if r.discontinued_day >= 0 else None,
            )
            for r in world.products.itertuples(index=False)
        ],
    )
    erp.append(
        "product_prices",
        [
            (r.product_code, r.valid_from, r.valid_to, _money(r.list_price), _money(r.unit_cost))
            for r in world.price_history.itertuples(index=False)
        ],
    )
    erp.append(
        "customers",
        list(
            world.customers[
                ["customer_code", "segment", "loyalty_tier", "region_code", "signup_date"]
            ].itertuples(index=False, name=None)
        ),
    )


def _money(value: float) -> str:
    return f"{value:.2f}"


class _Purchasing:
    """Turns the day's reorders into purchase orders (one per store and supplier), lines and receipts."""

    FLUSH_ROWS = 50_000

    def __init__(self, world: World, erp: ErpWriter) -> None:
        self.world, self.erp = world, erp
        self.store_codes = world.stores["store_code"].to_numpy()
        self.product_codes = world.products["product_code"].to_numpy()
        self.supplier_idx = world.products["supplier_idx"].to_numpy()
        self.supplier_codes = world.suppliers["supplier_code"].to_numpy()
        self.orders = self.lines = self.receipts = 0
        self.buffers: dict[str, list[tuple[object, ...]]] = {
            "purchase_orders": [],
            "purchase_order_lines": [],
            "goods_receipts": [],
        }

    def add(self, day: Day) -> None:
        o = day.orders
        if len(o.quantity) == 0:
            return
        n_days = self.world.n_days
        first = self.world.days[0]
        supplier = self.supplier_idx[o.product]
        order = np.lexsort((o.product, supplier, o.store))
        store, product, supplier = o.store[order], o.product[order], supplier[order]
        expected, received = o.expected_day[order], o.received_day[order]
        header_key = store * 1_000_000 + supplier
        new_header = np.ones(len(order), dtype=bool)
        new_header[1:] = header_key[1:] != header_key[:-1]
        po_seq = self.orders + np.cumsum(new_header)
        positions = np.arange(len(order))
        line_no = positions - np.maximum.accumulate(np.where(new_header, positions, 0)) + 1
        starts = np.flatnonzero(new_header)
        header_expected = np.maximum.reduceat(expected, starts)
        header_open = np.maximum.reduceat(received, starts) >= n_days
        po_numbers = [f"PO{n:08d}" for n in po_seq.tolist()]
        expected_text = (first + expected.astype("timedelta64[D]")).astype(str).tolist()
        order_date = str(self.world.days[day.index])
        store_codes, product_codes = self.store_codes[store].tolist(), self.product_codes[product].tolist()
        self.buffers["purchase_orders"].extend(
            (
                po_numbers[k],
                store_codes[k],
                self.supplier_codes[supplier[k]],
                order_date,
                text,
                "OPEN" if still_open else "RECEIVED",
            )
            for k, text, still_open in zip(
                starts.tolist(),
                (first + header_expected.astype("timedelta64[D]")).astype(str).tolist(),
                header_open.tolist(),
                strict=True,
            )
        )
        lines = line_no.tolist()
        self.buffers["purchase_order_lines"].extend(
            (po, line, code, qty, f"{cost / 100:.2f}", exp)
            for po, line, code, qty, cost, exp in zip(
                po_numbers,
                lines,
                product_codes,
                o.quantity[order].tolist(),
                o.unit_cost_cents[order].tolist(),
                expected_text,
                strict=True,
            )
        )
        arrived = np.flatnonzero(received < n_days)
        received_text = (first + received[arrived].astype("timedelta64[D]")).astype(str).tolist()
        receipt_numbers = range(self.receipts + 1, self.receipts + 1 + len(arrived))
        self.buffers["goods_receipts"].extend(
            (f"GR{number:08d}", po_numbers[j], lines[j], store_codes[j], product_codes[j], when, qty)
            for number, j, when, qty in zip(
                receipt_numbers,
                arrived.tolist(),
                received_text,
                o.received_quantity[order][arrived].tolist(),
                strict=True,
            )
        )
        self.receipts += len(arrived)
        self.orders = int(po_seq[-1])
        self.lines += len(order)
        if sum(len(b) for b in self.buffers.values()) >= self.FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        for table, rows in self.buffers.items():
            if rows:
                self.erp.append(table, rows)
                rows.clear()


class _PosWriters:
    """The POS exports are formatted and written by child processes, each for a share of the stores.

    Plain subprocesses fed pickles over pipes, not multiprocessing: spawn would re-run the caller's
    `__main__` (a script without a main guard would recurse), and fork is unsafe with threads.
    The pipes' small buffers bound memory: when a writer falls behind, the simulation waits.
    """

    def __init__(self, jobs: list[PosJob]) -> None:
        package_root = str(Path(synthetic.__file__).resolve().parent.parent)
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")])),
        }
        self.root = jobs[0].out
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "synthetic.pos_export"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
            )
            for _ in jobs
        ]
        for process, job in zip(self.processes, jobs, strict=True):
            self._write(process, pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))

    def send(self, item: object) -> None:
        frame = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
        for process in self.processes:
            self._write(process, frame)

    def _write(self, process: subprocess.Popen[bytes], frame: bytes) -> None:
        assert process.stdin is not None
        try:
            process.stdin.write(frame)
            process.stdin.flush()
        except BrokenPipeError:
            raise RuntimeError(f"a POS writer process stopped early:\n{self._outcome(process)[-1]}") from None

    def finish(self) -> tuple[int, int, dict[str, int]]:
        """Wait for the writers; merge their dirt logs into dirt.jsonl in file and line order."""
        self.send(None)
        files = rows = 0
        dirt = {kind.value: 0 for kind in KINDS}
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.close()
            outcome = self._outcome(process)
            process.wait()
            if outcome[0] != "ok":
                raise RuntimeError(f"a POS writer process failed:\n{outcome[1]}")
            files, rows = files + outcome[1], rows + outcome[2]
            for kind, count in outcome[3].items():
                dirt[kind] += count
        parts = [dirt_log_part(self.root, part) for part in range(len(self.processes))]
        # Each part is already in (file, line) order, as its writer went day by day and store by store:
        # a streaming merge keeps memory flat (millions of entries at scale l).
        with contextlib.ExitStack() as stack:
            streams = [stack.enter_context(part.open(encoding="utf-8")) for part in parts]
            with (self.root / "dirt.jsonl").open("w", encoding="utf-8") as merged:
                merged.writelines(heapq.merge(*streams, key=_dirt_entry_order))
        for part in parts:
            part.unlink()
        return files, rows, dirt

    @staticmethod
    def _outcome(process: subprocess.Popen[bytes]) -> tuple:  # type: ignore[type-arg]
        assert process.stdout is not None
        try:
            return pickle.load(process.stdout)
        except EOFError:
            return ("error", f"it exited with code {process.wait()} without a result")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            for stream in (process.stdin, process.stdout):
                with contextlib.suppress(OSError, AttributeError):
                    stream.close()  # type: ignore[union-attr]


def _dirt_entry_order(entry: str) -> tuple[str, int]:
    record = json.loads(entry)
    return record["file"], record["line"]


class _InventoryExport:
    """The nightly stock snapshot: closing units on hand and on order per listed (store, product)."""

    OPTIONS = pa_csv.WriteOptions(quoting_style="none", include_header=False)
    HEADER = b"snapshot_date,store_code,product_code,on_hand_units,on_order_units\n"

    def __init__(self, world: World, folder: Path, sink: FileSink) -> None:
        self.world, self.folder, self.sink = world, folder, sink
        folder.mkdir()
        self.store_codes = pa.array(world.stores["store_code"].tolist(), pa.string())
        self.product_codes = pa.array(world.products["product_code"].tolist(), pa.string())

    def write_day(self, day: Day) -> int:
        stamp = str(self.world.days[day.index])
        table = pa.table(
            {
                "snapshot_date": pa.repeat(pa.scalar(stamp, pa.string()), len(day.listed)),
                "store_code": self.store_codes.take(pa.array(self.world.series_store[day.listed])),
                "product_code": self.product_codes.take(pa.array(self.world.series_product[day.listed])),
                "on_hand_units": pa.array(day.on_hand, pa.int64()),
                "on_order_units": pa.array(day.on_order, pa.int64()),
            }
        )
        buffer = io.BytesIO()
        buffer.write(self.HEADER)
        pa_csv.write_csv(table, buffer, self.OPTIONS)
        self.sink.write(self.folder / f"inventory_{stamp.replace('-', '')}.csv", buffer.getvalue())
        return len(day.listed)


def _write_api_data(world: World, folder: Path) -> dict[str, int]:
    folder.mkdir()
    promotions = [
        {
            "promo_code": r.promo_code,
            "product_code": r.product_code,
            "region_code": r.region_code,
            "start_date": r.start_date,
            "end_date": r.end_date,
            "discount_pct": round(float(r.discount_pct) * 100, 1),
            "mechanic": "PERCENT_OFF",
            "name": r.name,
        }
        for r in world.promotions.itertuples(index=False)
    ]
    holidays = [
        {"date": r.date, "name": r.name, "country_code": r.country_code}
        for r in world.holidays.itertuples(index=False)
    ]
    store_cities = sorted(set(world.stores["city_idx"].tolist()))
    city_names, states = world.cities["name"].tolist(), world.cities["state"].tolist()
    days = [str(d) for d in world.days]
    weather = [
        {
            "city": city_names[c],
            "state": states[c],
            "date": date,
            "temperature_c": temp,
            "precipitation_mm": rain,
        }
        for c in store_cities
        for date, temp, rain in zip(
            days, world.temperature_c[c].tolist(), world.precipitation_mm[c].tolist(), strict=True
        )
    ]
    for name, records in (("promotions", promotions), ("holidays", holidays), ("weather", weather)):
        (folder / f"{name}.json").write_text(
            json.dumps(records, ensure_ascii=False, indent=None), encoding="utf-8"
        )
    return {"api_promotions": len(promotions), "api_holidays": len(holidays), "api_weather": len(weather)}


def _write_manifest(
    world: World,
    options: GenerateOptions,
    root: Path,
    erp: ErpWriter,
    counts: dict[str, int],
    dirt: dict[str, int],
) -> None:
    manifest = {
        "generator": "shelfcast.synthetic",
        "format_version": FORMAT_VERSION,
        "scale": asdict(world.scale),
        "seed": options.seed,
        "start_date": str(world.days[0]),
        "end_date": str(world.days[-1]),
        "country": options.country,
        "dirt_rate": options.dirt_rate,
        "counts": counts,
        "dirt": {
            "total": sum(dirt.values()),
            "by_kind": {k.value: dirt[k.value] for k in KINDS},
            "rows_file": "dirt.jsonl",
        },
        "erp": erp.location,
        "pos_dialects": {
            code: {
                "delimiter": p.delimiter,
                "encoding": p.encoding,
                "decimal_comma": p.decimal_comma,
                "date_format": DATE_FORMATS[p.date_format],
                **(
                    {
                        "date_format_before": DATE_FORMATS[p.date_format_before],
                        "date_format_from": str(world.days[p.date_format_from]),
                    }
                    if p.date_format_before
                    else {}
                ),
            }
            for code, p in zip(world.stores["store_code"], world.export_profiles, strict=True)
        },
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
