"""The `shelfcast` command. User mistakes print one line and exit non-zero; bugs keep their traceback."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from shelfcast import __version__
from shelfcast.config import Settings, load_settings, origins
from shelfcast.errors import ShelfcastError
from shelfcast.ports import ensure_port_free
from shelfcast.progress import step
from synthetic.scales import ScaleName

if TYPE_CHECKING:
    from ingestion.mapping.check import CheckSummary
    from ml.evaluate import Evaluation

app = typer.Typer(
    name="shelfcast",
    help="Sales analytics and forecasting: sources -> lake -> dbt marts -> forecasts -> dashboards.\n\n"
    "Configuration: defaults < shelfcast.toml (or --config / $SHELFCAST_CONFIG) < SHELFCAST_<KEY> "
    "environment variables < flags. See `shelfcast config show`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)
config_app = typer.Typer(help="Inspect the configuration.", no_args_is_help=True)
app.add_typer(config_app, name="config")
api_key_app = typer.Typer(help="API keys for `shelfcast serve`: create, list, revoke.", no_args_is_help=True)
app.add_typer(api_key_app, name="api-key")
dashboards_app = typer.Typer(help="Superset dashboards over the marts: up, down.", no_args_is_help=True)
app.add_typer(dashboards_app, name="dashboards")
dataset_app = typer.Typer(
    help="Bring your own data: check a dataset mapping file against its data; the mapping's JSON Schema.",
    no_args_is_help=True,
)
app.add_typer(dataset_app, name="dataset")

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="Configuration file [default: $SHELFCAST_CONFIG or ./shelfcast.toml]"),
]


class _State:
    config_file: Path | None = None


def _settings(**overrides: object) -> Settings:
    return load_settings(_State.config_file, **overrides)


def _version(value: bool) -> None:
    if value:
        console.print(f"shelfcast {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    config: ConfigOption = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    _State.config_file = config


@app.command()
def generate(
    scale: Annotated[
        ScaleName | None,
        typer.Option(
            help="Size: xs (tests), s (demo, ~1.3 M lines), m (~20 M), l (~200 M) [default: config scale, s]"
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, help="Seed; the same seed writes the same bytes [default: config seed, 42]"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Output folder, replaced whole when done [default: <data_dir>/sources]"),
    ] = None,
    dirt_rate: Annotated[
        float | None,
        typer.Option(min=0.0, max=0.5, help="Share of POS sale lines made dirty [default: 0.02]"),
    ] = None,
    erp_url: Annotated[
        str | None,
        typer.Option(
            help="Write the ERP into this PostgreSQL database (schema erp) instead of <out>/erp.sqlite"
        ),
    ] = None,
    start: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First business day")
    ] = None,
    years: Annotated[int, typer.Option(min=1, max=10, help="Years of history")] = 3,
) -> None:
    """Generate the synthetic retailer's source systems: POS CSV exports, the ERP database, the REST data.

    Deterministic for a seed. Writes aside and swaps the folder in at the end: an interrupted run never
    leaves a complete-looking output.
    """
    from synthetic.generate import GenerateOptions
    from synthetic.generate import generate as run_generate

    settings = _settings(scale=scale, seed=seed, dirt_rate=dirt_rate, erp_url=erp_url, sources_dir=out)
    options = GenerateOptions(
        out=settings.sources_path,
        scale=settings.scale,
        seed=settings.seed,
        dirt_rate=settings.dirt_rate,
        erp_url=settings.erp_url,
        years=years,
        **({"start": start.date()} if start is not None else {}),
    )
    console.print(
        f"Generating scale [bold]{options.scale}[/] seed {options.seed} into {options.out.resolve()}",
        highlight=False,
    )
    with step(console, "days", ("sale_lines", "return_lines", "inventory_rows")) as progress:
        result = run_generate(options, progress.update)
    _print_generation(result.counts, result.dirt, result.out, result.seconds)


def _print_generation(counts: dict[str, int], dirt: dict[str, int], out: Path, seconds: float) -> None:
    table = Table(title=f"Wrote {out} in {seconds:.1f} s", title_justify="left")
    table.add_column("output")
    table.add_column("rows", justify="right")
    table.add_column("where")
    places = {
        "pos_files": "pos/<date>/pos_<store>_<yyyymmdd>.csv",
        "pos_rows": "pos/ (data rows incl. dirt)",
        "sale_lines": "pos/ (SALE lines before dirt)",
        "return_lines": "pos/ (RETURN lines)",
        "inventory_rows": "inventory/inventory_<yyyymmdd>.csv",
        "purchase_orders": "ERP purchase_orders",
        "purchase_order_lines": "ERP purchase_order_lines",
        "goods_receipts": "ERP goods_receipts",
        "stores": "ERP stores",
        "products": "ERP products",
        "customers": "ERP customers",
        "suppliers": "ERP suppliers",
        "promotions": "api/promotions.json",
        "api_promotions": "api/promotions.json",
        "api_holidays": "api/holidays.json",
        "api_weather": "api/weather.json",
    }
    for key, value in counts.items():
        table.add_row(key.replace("_", " "), f"{value:,}", places.get(key, ""))
    table.add_row(
        "dirty rows",
        f"{sum(dirt.values()):,}",
        "manifest.json + dirt.jsonl: " + ", ".join(f"{k} {v}" for k, v in dirt.items()),
    )
    console.print(table)
    lines = counts.get("pos_rows", 0) + counts.get("inventory_rows", 0)
    console.print(f"{lines / max(seconds, 1e-9):,.0f} POS+inventory rows/s", highlight=False)


@app.command("serve-sources")
def serve_sources(
    sources: Annotated[
        Path | None, typer.Option(help="A generated folder [default: <data_dir>/sources]")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Bind address [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="Port [default: 8765]")] = None,
    fail_rate: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Share of first requests answered 503 (to exercise retries)"),
    ] = 0.0,
) -> None:
    """Serve promotions, holidays and weather as the paginated REST JSON source that ingestion reads."""
    import uvicorn

    from synthetic.server import FaultPlan, create_app

    settings = _settings(sources_dir=sources, sources_host=host, sources_port=port)
    api = create_app(settings.sources_path, FaultPlan(rate=fail_rate))
    console.print(
        f"Serving {settings.sources_path / 'api'} on http://{settings.sources_host}:"
        f"{settings.sources_port} (docs at /docs)",
        highlight=False,
    )
    try:
        uvicorn.run(api, host=settings.sources_host, port=settings.sources_port, log_level="warning")
    except SystemExit as stop:  # uvicorn exits 1 when the port is taken, after logging why
        raise ShelfcastError(
            f"could not serve on {settings.sources_host}:{settings.sources_port}",
            hint="is the port taken? pass --port or set SHELFCAST_SOURCES_PORT",
        ) from stop


def _parse_dates(value: str | None) -> list[dt.date] | None:
    """`2024-03-01` or a range `2024-03-01:2024-03-31` (both ends included)."""
    if value is None:
        return None
    first, _, last = value.partition(":")
    try:
        start = dt.date.fromisoformat(first.strip())
        end = dt.date.fromisoformat(last.strip()) if last else start
    except ValueError:
        raise ShelfcastError(
            f"--date {value!r} is not a date or a range", hint="use 2024-03-01 or 2024-03-01:2024-03-31"
        ) from None
    if end < start:
        raise ShelfcastError(f"--date {value!r} ends before it starts", hint="write the earlier date first")
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


@app.command()
def ingest(
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source",
            help="Source to land: erp, pos, inventory, api; repeat for several [default: all, in that order]",
        ),
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            help="Business date or range A:B to (re)land [default: every date the sources hold; "
            "the ERP snapshot is dated today]"
        ),
    ] = None,
    lake: Annotated[str | None, typer.Option(help="Lake root: folder, s3a://bucket/prefix, hdfs://")] = None,
    sources: Annotated[
        Path | None, typer.Option(help="The source files' folder [default: <data_dir>/sources]")
    ] = None,
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="A dataset mapping file: land your own sales history (into <lake>/datasets/<name>) "
            "instead of the sources"
        ),
    ] = None,
) -> None:
    """Land the sources in the lake: raw, clean and quarantine zones and a reconciliation audit per batch.

    A batch is one dataset on one business date; rerunning it replaces it (never duplicates). A refused
    file (empty, binary, wrong header, truncated) fails its date, which keeps what the lake had, and the
    command exits 1 after landing every other date.

    With --dataset, the mapped dataset is checked as `shelfcast dataset check` does (a problem stops it
    before anything is written), then landed whole: every table of <lake>/datasets/<name> is replaced.
    """
    from ingestion.quality import docs_index
    from ingestion.run import SourceName
    from ingestion.run import ingest as run_ingest
    from shelfcast.spark import get_spark

    settings = _settings(lake_uri=lake, sources_dir=sources)
    if dataset is not None:
        if source or date or sources:
            raise ShelfcastError(
                "--dataset lands a mapped dataset whole: --source, --date and --sources do not apply",
                hint="drop them, or drop --dataset to land the sources",
            )
        _ingest_dataset(settings, dataset)
        return
    chosen = _source_names(source, SourceName)
    dates = _parse_dates(date)
    console.print(
        f"Ingesting {', '.join(chosen)} from {settings.sources_path.resolve()} into {settings.lake}",
        highlight=False,
    )
    spark = get_spark(settings, "shelfcast-ingest")
    console.print(
        f"Spark {spark.version} on {settings.spark_master} started in "
        f"{spark.conf.get('shelfcast.session.start_seconds')} s",
        highlight=False,
    )
    report = run_ingest(
        spark, settings, chosen, dates, lambda line: console.print(line, highlight=False, soft_wrap=True)
    )
    total = sum(report.seconds.values())
    console.print(
        f"Landed in {total:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    )
    docs = docs_index(settings.data_dir)
    if docs.is_file():
        console.print(f"Great Expectations Data Docs: {docs.as_uri()}", highlight=False)
    if report.failures:
        for failure in report.failures:
            err_console.print(f"[bold red]refused:[/] {failure}", highlight=False, soft_wrap=True)
        raise ShelfcastError(
            f"{len(report.failures)} input(s) refused; their dates keep their last clean state",
            hint="fix or replace the files named above and rerun with --date for those days",
        )


def _ingest_dataset(settings: Settings, mapping: Path) -> None:
    from ingestion.mapping.land import land_dataset
    from ingestion.mapping.load import load_mapping
    from shelfcast.spark import get_spark

    # the environment is read here, at the edge: the mapping's ${VAR} paths come from it
    loaded = load_mapping(mapping, os.environ)
    console.print(
        f"Ingesting dataset [bold]{escape(loaded.mapping.name)}[/] ({escape(str(mapping))}) into "
        f"{escape(settings.lake)}/datasets/{escape(loaded.mapping.name)}",
        highlight=False,
        soft_wrap=True,
    )
    landing = land_dataset(
        lambda: get_spark(settings, "shelfcast-ingest"),
        settings,
        loaded,
        lambda line: console.print(escape(line), highlight=False, soft_wrap=True),
    )
    totals = landing.publication.totals()
    unreconciled = [row for row in landing.publication.audit if not row["reconciled"]]
    console.print(
        f"Landed in {sum(landing.seconds.values()):.1f} s: "
        + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in landing.seconds.items()),
        highlight=False,
    )
    if unreconciled:
        raise ShelfcastError(
            f"{len(unreconciled)} business dates do not reconcile (rows in ≠ clean + quarantined)",
            hint="a bug: report it with the audit table's rows",
        )
    if totals["rows_quarantined"]:
        console.print(
            f"{totals['rows_quarantined']:,} rows quarantined: see {landing.lake}/quarantine/rows",
            highlight=False,
            soft_wrap=True,
        )


@app.command()
def transform(
    select: Annotated[
        str | None, typer.Option(help="dbt node selection, e.g. `marts` or `+fct_daily_sales` [default: all]")
    ] = None,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Rebuild incremental models from scratch")
    ] = False,
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="Build a dataset landed with `shelfcast ingest --dataset` (its mapping file) into schema "
            "<name> instead of the shop",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Build the warehouse with dbt: staging, intermediate and mart models, snapshots and their tests.

    On the embedded DuckDB target the build runs in a copy of the warehouse file that replaces the
    published one only when every model and test passed, so dashboards never read a half-built warehouse.
    """
    from shelfcast.dbt import build_dataset, build_warehouse
    from shelfcast.warehouse import duckdb_path

    settings = _settings()
    target = settings.warehouse_target.value
    if dataset is not None:
        from ingestion.mapping.landed import dbt_vars
        from ingestion.mapping.load import load_mapping

        variables = dbt_vars(settings, load_mapping(dataset, os.environ))
        console.print(
            f"dbt build of dataset {variables['dataset']} on {target}, reading {variables['lake_root']}",
            highlight=False,
        )
        result = build_dataset(settings, variables, select)
        where = f"schema {variables['dataset']} of {duckdb_path(settings)}"
    else:
        console.print(f"dbt build on {target}, reading the lake at {settings.lake}", highlight=False)
        result = build_warehouse(settings, select, full_refresh)
        where = str(duckdb_path(settings)) if target == "duckdb" else f"the {target} target"
    console.print(f"Built {result.nodes} nodes in {result.seconds:.1f} s into {where}", highlight=False)


@app.command()
def forecast(
    horizon: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Periods ahead to forecast: days, or weeks for a weekly dataset [default: forecast_horizon "
            "days, 28; 4 weeks]",
        ),
    ] = None,
    cutoffs: Annotated[int, typer.Option(min=1, max=12, help="Backtest origins, one horizon apart")] = 3,
    models: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated models to compare [default: forecast_models: naive, seasonal_naive, "
            "moving_average_28, lightgbm, ets, theta, prophet; also mllib]"
        ),
    ] = None,
    dataset: Annotated[
        Path | None,
        typer.Option(
            help="Forecast a dataset built with `shelfcast transform --dataset` (its mapping file): its "
            "forecast goes to schema <name>_ml, MLflow experiment shelfcast-forecast-<name>",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Backtest every model on the warehouse's sales features, pick the best per level (store × product,
    store, region, category, total), forecast with it and write the forecasts (with 80 % and 95 %
    intervals), the accuracy, the feature importances and Prophet's components back to the warehouse.

    Every run is tracked in MLflow and its forecast registered as the champion; the command prints how to
    open it.
    """
    from rich.table import Table

    from ml.backtest import NotEnoughHistoryError
    from ml.run import run_forecast, tracking_uri
    from ml.target import SHOP

    chosen = [name.strip() for name in models.split(",") if name.strip()] if models else None
    settings = _settings(forecast_models=chosen, **({} if dataset else {"forecast_horizon": horizon}))
    target = SHOP
    if dataset is not None:
        from ingestion.mapping.landed import dbt_vars
        from ingestion.mapping.load import load_mapping
        from ml.target import ForecastTarget

        target = ForecastTarget.of_dataset(dbt_vars(settings, load_mapping(dataset, os.environ)))
    where = f"dataset {target.dataset} of the" if target.dataset else "the"
    console.print(f"Forecasting from {where} {settings.warehouse_target.value} warehouse", highlight=False)
    try:
        outcome = run_forecast(
            settings,
            lambda line: console.print(line, highlight=False),
            cutoffs,
            forecast_target=target,
            horizon=horizon if dataset else None,
        )
    except NotEnoughHistoryError as error:
        hint = "forecast a shorter --horizon or use fewer --cutoffs"
        raise ShelfcastError(str(error), hint=hint) from error
    backtest = outcome.run.backtest
    metrics = backtest.metrics[backtest.metrics["horizon_bucket"] == "all"]
    series = metrics[metrics["level"] == "series"]
    table = Table(title=f"Backtest, store × product × {target.period_name} (all cutoffs)")
    for column in ("model", "RMSSE", "WAPE", "MASE", "MAE", "bias", "80 % cover", "95 % cover", "seconds"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for row in series.sort_values("rmsse").itertuples(index=False):
        table.add_row(
            f"{row.model}{' (champion)' if row.model == outcome.run.champion else ''}",
            f"{row.rmsse:.3f}",
            f"{row.wape:.3f}",
            f"{row.mase:.3f}",
            f"{row.mae:.3f}",
            f"{row.bias:+.3f}",
            f"{getattr(row, 'coverage_80', float('nan')):.1%}",
            f"{getattr(row, 'coverage_95', float('nan')):.1%}",
            f"{backtest.seconds.get(row.model, 0.0):.1f}",
        )
    console.print(table)
    levels = Table(title="Default model per level (backtest)")
    labels = ("level", "champion", "method", "RMSSE", "seasonal naive", "WAPE", "80 % cover", "95 % cover")
    for column in labels:
        levels.add_column(column, justify="left" if column in labels[:3] else "right")
    for level, champion in outcome.run.champions.items():
        row = metrics[(metrics["level"] == level) & (metrics["model"] == champion)].iloc[0]
        levels.add_row(
            level,
            champion,
            row["method"],
            f"{row['rmsse']:.3f}",
            f"{backtest.metric('seasonal_naive', level=level):.3f}",
            f"{row['wape']:.3f}",
            f"{row.get('coverage_80', float('nan')):.1%}",
            f"{row.get('coverage_95', float('nan')):.1%}",
        )
    console.print(levels)
    uri = tracking_uri(settings)
    console.print(
        f"Forecast {outcome.series:,} series in {outcome.seconds:.1f} s; MLflow run {outcome.run_id}, "
        f"registered as models:/{target.registered_model}@champion\n"
        f"  open it: mlflow ui --backend-store-uri {uri} --port 5000, then "
        f"http://127.0.0.1:5000/#/experiments/{outcome.experiment_id}/runs/{outcome.run_id}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def evaluate(
    dataset: Annotated[Path, typer.Option(help="The dataset mapping file (YAML)")],
    cutoff: Annotated[
        dt.datetime,
        typer.Option(formats=["%Y-%m-%d"], help="The last date the models see (its period included)"),
    ],
    horizon: Annotated[
        int,
        typer.Option(
            min=1, help="Periods after the cutoff to forecast and score (days; weeks on weekly data)"
        ),
    ],
    actuals: Annotated[
        Path | None,
        typer.Option(
            help="Score against this file (the mapping's source columns; read, never ingested) instead "
            "of the data after the cutoff"
        ),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(help="Comma-separated models (default: forecast_models, as `shelfcast forecast`)"),
    ] = None,
    weight_column: Annotated[
        str | None,
        typer.Option(
            help="A true/false column of the actuals: its true rows weigh --weight-factor in the WMAE"
        ),
    ] = None,
    weight_factor: Annotated[
        float | None, typer.Option(min=0.0, help="Weight of the rows --weight-column marks (default: 5)")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Folder for metrics.csv and forecasts.csv (default: <data_dir>/evaluate/<name>/<cutoff>)"
        ),
    ] = None,
    track: Annotated[
        bool, typer.Option("--track/--no-track", help="Log the run to MLflow (experiment shelfcast-evaluate)")
    ] = True,
) -> None:
    """Fit every model on a mapped dataset up to --cutoff, forecast --horizon periods after it and score
    them against the data after the cutoff (or --actuals): MAE, RMSE, MASE, WAPE, RMSPE and a weighted
    MAE per model, pooled over the scored rows and as mean and median over series.

    Read straight from the files with DuckDB (nothing is landed); the forecast grain follows the data's.
    Writes metrics.csv and forecasts.csv (every model's forecasts, for any other scorer).
    """
    from ingestion.mapping.load import load_mapping
    from ml.evaluate import Weighting, write_evaluation
    from ml.evaluate import evaluate as run_evaluate
    from ml.forecast import default_models

    if weight_factor is not None and weight_column is None:
        raise ShelfcastError(
            "--weight-factor needs --weight-column", hint="name the column that marks the rows"
        )
    chosen = [name.strip() for name in models.split(",") if name.strip()] if models else None
    settings = _settings(forecast_models=chosen)
    # the environment is read here, at the edge: the mapping's ${VAR} paths come from it
    loaded = load_mapping(dataset, os.environ)
    weighting = (
        Weighting(weight_column, 5.0 if weight_factor is None else weight_factor) if weight_column else None
    )
    console.print(
        f"Evaluating {', '.join(settings.forecast_models)} on dataset "
        f"[bold]{escape(loaded.mapping.name)}[/], cutoff {cutoff.date()}, horizon {horizon}",
        highlight=False,
        soft_wrap=True,
    )
    evaluation = run_evaluate(
        loaded,
        cutoff.date(),
        horizon,
        default_models(settings.seed, tuple(settings.forecast_models), spark=lambda: _spark(settings)),
        actuals,
        weighting,
        lambda line: console.print(escape(line), highlight=False, soft_wrap=True),
    )
    folder = out or settings.data_dir / "evaluate" / loaded.mapping.name / cutoff.date().isoformat()
    metrics_csv, forecasts_csv = write_evaluation(evaluation, folder)
    _print_evaluation(evaluation)
    console.print(f"Wrote {metrics_csv} and {forecasts_csv}", highlight=False, soft_wrap=True)
    if track:
        from ml.tracking import log_evaluation, tracking_uri

        run_id, experiment_id = log_evaluation(settings, evaluation, folder)
        console.print(
            f"MLflow run {run_id}: mlflow ui --backend-store-uri {tracking_uri(settings)} --port 5000, then "
            f"http://127.0.0.1:5000/#/experiments/{experiment_id}/runs/{run_id}",
            highlight=False,
            soft_wrap=True,
        )


def _spark(settings: Settings) -> object:
    """The Spark session, started only when the mllib model is chosen."""
    from shelfcast.spark import get_spark

    return get_spark(settings, "shelfcast-evaluate")


def _print_evaluation(evaluation: Evaluation) -> None:
    from rich import box
    from rich.measure import Measurement

    from ml.metrics import STATISTICS

    unit = evaluation.unit
    first, last = evaluation.history
    console.print(
        f"Scored {evaluation.scored:,} (series, {unit}) rows of {evaluation.scored_series:,} series in "
        f"{escape(evaluation.actuals)}, the {evaluation.horizon} {unit}s after {evaluation.cutoff}; "
        f"{evaluation.series:,} series fitted on {first} … {last}",
        highlight=False,
        soft_wrap=True,
    )
    titles = {
        "pooled": "pooled over the rows",
        "series_mean": "mean over series",
        "series_median": "median over series",
    }
    columns = {"mae": "MAE", "rmse": "RMSE", "mase": "MASE", "wape": "WAPE", "rmspe": "RMSPE", "wmae": "WMAE"}
    metrics = evaluation.metrics
    if metrics["wmae"].isna().all():  # no --weight-column: the WMAE would be the MAE
        columns.pop("wmae")
    for statistic in STATISTICS:
        # no vertical rules: seven numbers and a model name fit a log line
        table = Table(
            title=f"{evaluation.dataset}: {titles[statistic]}", title_justify="left", box=box.SIMPLE
        )
        table.add_column("model", no_wrap=True)
        for label in columns.values():
            table.add_column(label, justify="right", no_wrap=True)
        if statistic == "pooled":
            table.add_column("s", justify="right", no_wrap=True)
        for row in metrics[metrics["statistic"] == statistic].itertuples(index=False):
            cells = [_metric_text(getattr(row, name)) for name in columns]
            extra = [f"{row.seconds:.1f}"] if statistic == "pooled" else []
            table.add_row(str(row.model), *cells, *extra)
        # at its natural width: squeezed into an 80-column log, Rich would cut the numbers short ("2869…")
        natural = Measurement.get(console, console.options.update_width(1_000), table).maximum
        width = console.width
        console.width = max(width, natural)  # print() clamps its own width to the console's
        try:
            console.print(table)
        finally:
            console.width = width
    for note in evaluation.notes:
        console.print(f"- {escape(note)}", highlight=False, soft_wrap=True)


def _metric_text(value: float) -> str:
    if value != value:  # NaN: undefined here (no scale, no non-zero actual)
        return "–"
    return f"{value:,.1f}" if abs(value) >= 100 else f"{value:.3f}"


@app.command()
def docs(
    serve: Annotated[
        bool, typer.Option("--serve", help="Serve the site on 127.0.0.1 until interrupted")
    ] = False,
    port: Annotated[int, typer.Option(help="Port for --serve")] = 8080,
) -> None:
    """Generate the dbt docs site (models, columns, tests, lineage) from the built warehouse."""
    from shelfcast.dbt import generate_docs

    settings = _settings()
    index = generate_docs(settings)
    console.print(f"dbt docs: {index.as_uri()}", highlight=False, soft_wrap=True)
    if serve:
        import functools
        from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(index.parent))
        try:
            server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as error:
            raise ShelfcastError(
                f"cannot serve the docs on 127.0.0.1:{port}: {error.strerror}", hint="choose another --port"
            ) from error
        console.print(f"serving dbt docs on http://127.0.0.1:{port}/ (Ctrl-C stops)", highlight=False)
        server.serve_forever()


@app.command("run")
def run_all() -> None:
    """Run the whole pipeline as one Dagster asset graph, in-process: ingest every source, audit the lake,
    build the dbt models, forecast, build the forecast marts. A failed step stops what depends on it; a
    rerun starts again from the last published state."""
    from orchestration.run import run_pipeline

    settings = _settings()
    run = run_pipeline(settings, lambda line: console.print(line, highlight=False))
    table = Table(title=f"Dagster run {run.run_id}")
    for column in ("step", "status", "seconds"):
        table.add_column(column, justify="right" if column == "seconds" else "left")
    for outcome in run.steps:
        table.add_row(outcome.step, outcome.status, f"{outcome.seconds:.1f}")
    console.print(table)
    if not run.success:
        failed = run.failed[0] if run.failed else None
        raise ShelfcastError(
            f"step {failed.step} failed: {failed.error}" if failed else "the run failed",
            hint="the steps downstream of it did not run; fix the cause and run again",
        )
    console.print(f"{len(run.materialized)} assets materialised", highlight=False)


@app.command()
def ui(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 3000,
) -> None:
    """Serve the Dagster UI (`dagster dev`): the asset graph with dbt's lineage, the runs `shelfcast run`
    recorded, the daily schedule and the new-files sensor (both off until turned on there)."""
    from orchestration.ui import serve_ui

    settings = _settings()
    console.print(
        f"Dagster UI on http://{host}:{port}/ once the definitions are loaded (Ctrl-C stops)", highlight=False
    )
    code = serve_ui(settings, _State.config_file, host, port)
    if code not in (0, -2, 130):  # Ctrl-C ends dagster dev with SIGINT
        raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
    workers: Annotated[
        int,
        typer.Option(min=1, max=64, help="Worker processes (each with its own warehouse connection)"),
    ] = 1,
) -> None:
    """Serve the HTTP API (KPIs, forecasts, inventory) from the active warehouse; OpenAPI page at /docs."""
    import uvicorn

    from api.app import create_app

    settings = _settings()
    application = create_app(settings)  # opened here too, so a missing warehouse is one line, not N
    ensure_port_free(host, port, "the API")
    console.print(
        f"shelfcast API on http://{host}:{port}/docs, reading the {settings.warehouse_target.value} "
        f"warehouse with {workers} worker{'s' if workers > 1 else ''} (Ctrl-C stops)",
        highlight=False,
    )
    if workers == 1:
        uvicorn.run(application, host=host, port=port, log_level="warning")
        return
    # uvicorn starts workers from an import string; each builds its app from the same configuration
    uvicorn.run(
        "api.app:create_app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
    )


@dashboards_app.command("up")
def dashboards_up(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8088,
    foreground: Annotated[
        bool,
        typer.Option("--foreground", help="Stay attached to the server, logging to the console (containers)"),
    ] = False,
) -> None:
    """Install Superset (its own venv, once), import the dashboards over the active warehouse with a role
    and row-level security per region, and serve on 127.0.0.1:8088 in the background. Rerun after editing
    the bundles: the import updates everything in place, and a broken bundle leaves the server as it was.
    Passwords: SUPERSET_ADMIN_PASSWORD / SUPERSET_DEMO_PASSWORD, else generated and shown once."""
    from dashboards.server import up

    settings = _settings()
    console.print("Superset: installing if needed, importing the dashboards", highlight=False)
    started = up(settings, host, port, lambda line: console.print(line, highlight=False), foreground)
    console.print(f"Superset: {started.url}/ (pid {started.pid}, {started.seconds:.1f} s)", highlight=False)
    for user in started.users:
        role = "admin" if user == "admin" else "regional manager: their region's rows only, view only"
        variable = "SUPERSET_ADMIN_PASSWORD" if user == "admin" else "SUPERSET_DEMO_PASSWORD"
        if user in started.passwords:
            password = f"password {started.passwords[user]} (generated; shown this once)"
        elif os.environ.get(variable):
            password = f"password from {variable}"
        else:
            password = "password as first set"
        console.print(f"  login {user:<18} {password} — {role}", highlight=False, soft_wrap=True)
    if foreground:
        import signal

        signal.signal(signal.SIGTERM, lambda *_: started.process.terminate())
        raise typer.Exit(started.process.wait())


@dashboards_app.command("down")
def dashboards_down() -> None:
    """Stop the Superset server `shelfcast dashboards up` started."""
    from dashboards.server import stop

    pid = stop(_settings())
    console.print("Superset stopped" if pid else "Superset was not running", highlight=False)


@api_key_app.command("create")
def api_key_create(
    name: Annotated[str, typer.Argument(help="Who the key is for, e.g. north-planning")],
    region: Annotated[
        list[str] | None, typer.Option(help="A region the key may read (repeat); default: every region")
    ] = None,
) -> None:
    """Create an API key and print it once: only its hash is kept."""
    from api.keys import KeyStore, key_store_path

    key = KeyStore(key_store_path(_settings().data_dir)).create(name, region)
    scope = ", ".join(region) if region else "every region"
    console.print(f"API key {name} ({scope}); send it as the X-API-Key header. It is not shown again:")
    console.print(key, highlight=False, soft_wrap=True)


@api_key_app.command("list")
def api_key_list() -> None:
    """The API keys by name, with their regions (never the keys themselves)."""
    from api.keys import KeyStore, key_store_path

    table = Table("name", "regions", "created (UTC)")
    for key in KeyStore(key_store_path(_settings().data_dir)).list():
        table.add_row(key.name, ", ".join(key.regions) if key.regions else "every region", key.created_at)
    console.print(table)


@api_key_app.command("revoke")
def api_key_revoke(name: Annotated[str, typer.Argument(help="The key's name")]) -> None:
    """Delete an API key: requests with it are refused from now on."""
    from api.keys import KeyStore, key_store_path

    if not KeyStore(key_store_path(_settings().data_dir)).revoke(name):
        raise ShelfcastError(f"no API key named {name!r}", hint="shelfcast api-key list")
    console.print(f"revoked {name}")


def _source_names(values: list[str] | None, kinds: type) -> list:  # type: ignore[type-arg]
    if not values:
        return list(kinds)
    chosen = []
    for value in values:
        for part in value.split(","):
            try:
                chosen.append(kinds(part.strip().lower()))
            except ValueError:
                raise ShelfcastError(
                    f"unknown source {part!r}", hint="choose from " + ", ".join(k.value for k in kinds)
                ) from None
    return chosen


@dataset_app.command("check")
def dataset_check(
    mapping: Annotated[Path, typer.Argument(help="The dataset mapping file (YAML)")],
    horizon: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Periods (days; weeks on weekly data) after the last sales date the future regressors "
            "must cover",
        ),
    ] = None,
) -> None:
    """Check a dataset mapping against its data and print what the data holds as the mapping reads it.

    Read with DuckDB, nothing written: the mapped columns exist and parse, the date format is certain, no
    key repeats at the grain, weekly dates share a weekday, the linked tables join and the future
    regressors cover --horizon. The first problem is one error naming the file, line or column and the fix.
    """
    from ingestion.mapping.check import check_mapping
    from ingestion.mapping.load import load_mapping

    # the environment is read here, at the edge: the mapping's ${VAR} paths come from it
    summary = check_mapping(load_mapping(mapping, os.environ), horizon)
    _print_dataset_summary(summary)


def _print_dataset_summary(summary: CheckSummary) -> None:
    if summary.rows is None:
        console.print(
            f"Dataset {escape(summary.name)}: the mapping is valid; {escape(summary.source)}", highlight=False
        )
    else:
        console.print(
            f"Dataset [bold]{escape(summary.name)}[/] ({escape(str(summary.mapping))}): "
            f"{summary.rows:,} rows, {summary.series:,} series, {summary.first_date} … {summary.last_date}; "
            f"{summary.grain}; dates {escape(summary.date_format or '')}",
            highlight=False,
            soft_wrap=True,
        )
    tables = Table(title="Tables read", title_justify="left")
    tables.add_column("table")
    tables.add_column("files", overflow="fold")
    tables.add_column("rows", justify="right")
    for key, files, rows in summary.tables:
        tables.add_row(key, escape(files), f"{rows:,}")
    if summary.tables:
        console.print(tables)
    columns = Table("mapping key", "source column", title="Columns used", title_justify="left")
    for key, column in summary.columns.items():
        columns.add_row(key, escape(column))
    console.print(columns)
    if summary.unused:
        console.print(
            "Source columns not mapped: " + escape(", ".join(summary.unused)), highlight=False, soft_wrap=True
        )
    for note in summary.notes:
        console.print(f"- {escape(note)}", highlight=False, soft_wrap=True)


@dataset_app.command("schema")
def dataset_schema() -> None:
    """Print the JSON Schema of dataset mapping files, for editors that validate YAML against it."""
    from ingestion.mapping.schema import json_schema_text

    sys.stdout.write(json_schema_text())


@config_app.command("show")
def config_show() -> None:
    """Print every setting, its effective value and where that value comes from."""
    settings = _settings()
    where = origins(_State.config_file)
    table = Table("key", "value", "from", "meaning")
    for key, field in Settings.model_fields.items():
        value = getattr(settings, key)
        table.add_row(key, "" if value is None else str(value), where[key], field.description or "")
    table.add_row("(sources folder)", str(settings.sources_path), "derived", "where generate writes")
    table.add_row("(lake)", settings.lake, "derived", "where ingestion lands data")
    console.print(table)


def main() -> None:
    """Console-script entry point: click reports usage errors itself; ours become one line."""
    try:
        app()
    except ShelfcastError as error:
        err_console.print(
            # the message may quote paths or SQL with brackets: never read as markup
            "[bold red]error:[/] " + escape(error.message + (f" — {error.hint}" if error.hint else "")),
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    main()
