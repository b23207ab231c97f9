"""Great Expectations gate: a suite per clean dataset, run as a checkpoint on every landing.

Each expectation has a severity. A failed `critical` one rejects the batches (business dates) whose rows
broke it: their clean partitions keep what they held, their rows go to quarantine whole with reason
`expectation_failed`, and the audit says `rejected` with the validation result. A failed table-level
critical expectation (schema) rejects every batch of the run. `warning` failures are logged and recorded in
the audit. Data Docs (HTML) are rebuilt under `<data_dir>/quality/gx/uncommitted/data_docs/local_site/`.

Runs of up to PANDAS_MAX_ROWS rows are validated on pandas, larger ones on Spark: on 375 k POS lines GX's
pandas engine took 4 s where its Spark engine took 57 s (one Spark job per metric). File sources land in
chunks of `ingest_chunk_mb`, which keeps a chunk of POS lines under the limit.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ingestion.cleaning.common import LINEAGE
from ingestion.cleaning.pos import CLEAN_COLUMNS as POS_CLEAN_COLUMNS
from ingestion.cleaning.tables import TableSpec
from ingestion.datasets import API_TABLES, ERP_TABLES, INVENTORY
from ingestion.lake import PARTITION

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

PANDAS_MAX_ROWS = 2_000_000
CRITICAL, WARNING = "critical", "warning"


@dataclass
class Verdict:
    """What the checkpoint decided for a run of one dataset."""

    rejected: dict[dt.date, list[str]] = field(default_factory=dict)  # date -> failed critical checks
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)  # expectation -> success, for the audit
    docs: str | None = None

    def audit_json(self, day: dt.date) -> str:
        return json.dumps(
            {
                "failed_critical": self.rejected.get(day, []),
                "warnings": self.warnings,
                "results": self.summary,
            },
            sort_keys=True,
        )


def expected_columns(dataset: str) -> list[str]:
    """The clean dataset's schema contract: these columns, no more, no fewer."""
    spec = _spec(dataset)
    if spec is None:
        return list(POS_CLEAN_COLUMNS)
    return [*spec.columns, *LINEAGE, PARTITION]


def suite(dataset: str) -> list[Any]:
    """The expectations of a clean dataset."""
    import great_expectations.expectations as gxe

    expectations: list[Any] = [
        gxe.ExpectTableColumnsToMatchSet(column_set=expected_columns(dataset), exact_match=True)
    ]
    spec = _spec(dataset)
    if spec is not None:
        expectations += [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in spec.required]
        expectations.append(gxe.ExpectCompoundColumnsToBeUnique(column_list=[PARTITION, *spec.key]))
    expectations += _specific(dataset)
    return expectations


def _spec(dataset: str) -> TableSpec | None:
    specs = {**ERP_TABLES, INVENTORY.name: INVENTORY, **{s.name: s for s, _ in API_TABLES.values()}}
    return specs.get(dataset)


def _specific(dataset: str) -> list[Any]:
    import great_expectations.expectations as gxe

    if dataset == "pos_lines":
        return [
            *(
                gxe.ExpectColumnValuesToNotBeNull(column=c)
                for c in (
                    "transaction_id",
                    "line_number",
                    "transaction_ts",
                    "store_code",
                    "product_code",
                    "quantity",
                    "unit_price",
                    "line_amount",
                )
            ),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=[PARTITION, "transaction_id", "line_number"]),
            gxe.ExpectColumnValuesToBeInSet(column="transaction_type", value_set=["SALE", "RETURN"]),
            gxe.ExpectColumnValuesToBeBetween(column="unit_price", min_value=0, max_value=100_000),
            gxe.ExpectColumnValuesToBeBetween(
                column="quantity", min_value=-1_000, max_value=100, mostly=0.99, severity=WARNING
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="payment_type", value_set=["CARD", "CASH", "MOBILE", "VOUCHER"], severity=WARNING
            ),
        ]
    if dataset == "inventory_snapshots":
        return [gxe.ExpectColumnValuesToBeBetween(column="on_hand_units", min_value=0)]
    if dataset in ("erp_products", "erp_product_prices"):
        return [
            gxe.ExpectColumnValuesToBeBetween(column="list_price", min_value=0),
            gxe.ExpectColumnValuesToBeBetween(column="unit_cost", min_value=0),
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="list_price", column_B="unit_cost", or_equal=True, mostly=0.95, severity=WARNING
            ),
        ]
    if dataset == "api_weather":
        return [gxe.ExpectColumnValuesToBeBetween(column="temperature_c", min_value=-60, max_value=60)]
    if dataset == "api_promotions":
        return [gxe.ExpectColumnValuesToBeBetween(column="discount_pct", min_value=0, max_value=100)]
    return []


def validate(
    frame: DataFrame, dataset: str, data_dir: Path, expectations: list[Any] | None = None
) -> Verdict:
    """Run the dataset's checkpoint on `frame` (the clean rows about to be published): its `suite`, or
    `expectations` for a dataset whose suite depends on its mapping."""
    context = _context(data_dir)
    import great_expectations as gx

    rows = frame.count()
    # One data source per dataset and engine: add_or_update re-creates a data source without its assets,
    # which would orphan the stored checkpoint of any other dataset sharing it (in this run or the next).
    if rows <= PANDAS_MAX_ROWS:
        source = context.data_sources.add_or_update_pandas(name=f"lake_pandas_{dataset}")
        data = frame.toPandas()
    else:
        # persist=False: GX would otherwise cache every batch it validates and never release it; chunk
        # after chunk the cached batches filled Spark's memory until a scale-m POS chunk could not get any
        # (UNABLE_TO_ACQUIRE_MEMORY). The frame is already read from the caller's cache.
        source = context.data_sources.add_or_update_spark(name=f"lake_spark_{dataset}", persist=False)
        data = frame
    asset = next((a for a in source.assets if a.name == dataset), None) or source.add_dataframe_asset(
        name=dataset
    )
    batch = next((b for b in asset.batch_definitions if b.name == "run"), None)
    batch = batch or asset.add_batch_definition_whole_dataframe("run")
    expectations = suite(dataset) if expectations is None else expectations
    checks = context.suites.add_or_update(gx.ExpectationSuite(name=dataset, expectations=expectations))
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=source.name, data=batch, suite=checks)
    )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            # one per engine, like its data source, so switching engine never loads the other's
            name=source.name,
            validation_definitions=[definition],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [PARTITION]},
        )
    )
    result = checkpoint.run(batch_parameters={"dataframe": data})
    _DOCS_PENDING.setdefault(_root(data_dir), []).extend(
        identifier for key in result.run_results for identifier in (key, key.expectation_suite_identifier)
    )
    verdict = Verdict(docs=str(docs_index(data_dir)))
    every_day: set[dt.date] = set()
    for validation in result.run_results.values():
        for outcome in validation.results:
            config = outcome.expectation_config
            name = _describe(config)
            verdict.summary[name] = bool(outcome.success)
            if outcome.success:
                continue
            if str(getattr(config.severity, "value", config.severity)) != CRITICAL:
                verdict.warnings.append(name)
                continue
            index = (outcome.result or {}).get("unexpected_index_list")
            if not index:  # a table-level failure: no row to blame, the whole run is refused
                every_day.add(dt.date.min)
                verdict.rejected.setdefault(dt.date.min, []).append(name)
                continue
            for day in {_as_date(entry[PARTITION]) for entry in index}:
                verdict.rejected.setdefault(day, []).append(name)
    if every_day:
        days = {_as_date(r[0]) for r in frame.select(PARTITION).distinct().collect()}
        table_failures = verdict.rejected.pop(dt.date.min)
        for day in days:
            verdict.rejected.setdefault(day, []).extend(table_failures)
    return verdict


# A run validates table after table; Data Docs are rendered once at its end (`build_docs`), not after
# every table: GX rebuilt the whole index, listing every stored result, on each validation.
_CONTEXTS: dict[Path, Any] = {}
_DOCS_PENDING: dict[Path, list[Any]] = {}


def _root(data_dir: Path) -> Path:
    return data_dir.resolve() / "quality"


def docs_index(data_dir: Path) -> Path:
    """Where the Data Docs site's index page is (once `build_docs` rendered it)."""
    return _root(data_dir) / "gx/uncommitted/data_docs/local_site/index.html"


def _context(data_dir: Path) -> Any:
    """The data dir's GX file context, opened once per process (opening one parses and writes its YAML)."""
    root = _root(data_dir)
    context = _CONTEXTS.get(root)
    if context is not None and (root / "gx" / "great_expectations.yml").is_file():
        return context
    # GX sends usage analytics by default; a pipeline must not phone home (and here it cannot).
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="file", project_root_dir=str(root))
    if context.config.analytics_enabled is not False:
        context.enable_analytics(False)
    bars = context.variables.progress_bars  # a dict once read back from the file
    if bars is None or bars["globally"]:
        # GX's own tqdm bars would interleave with our per-dataset progress lines.
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        context.variables.save()
    _CONTEXTS[root] = context
    return context


def build_docs(data_dir: Path) -> Path | None:
    """Render the Data Docs of the validations run since the last call; returns the site's index page."""
    pending = _DOCS_PENDING.pop(_root(data_dir), [])
    if pending:
        _context(data_dir).build_data_docs(resource_identifiers=pending, build_index=True)
    index = docs_index(data_dir)
    return index if index.is_file() else None


def _describe(config: Any) -> str:
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "result_format")}
    return f"{config.type}({', '.join(f'{k}={v}' for k, v in sorted(kwargs.items()))})"


def _as_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
