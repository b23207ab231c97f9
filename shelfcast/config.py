"""One configuration for every command: defaults < `shelfcast.toml` < `SHELFCAST_*` variables < flags.

The file is found at `--config PATH`, else `$SHELFCAST_CONFIG`, else `./shelfcast.toml` if present.
Every key can be set in the file (flat `key = value`) or as an environment variable `SHELFCAST_<KEY>`.
Unknown keys are errors (with the nearest known key suggested), so a typo never silently falls back
to a default.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from contextvars import ContextVar
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shelfcast.errors import ShelfcastError
from synthetic.scales import ScaleName

CONFIG_FILE_NAME = "shelfcast.toml"
ENV_PREFIX = "SHELFCAST_"
# Variables with our prefix that are not settings keys: where the file is, and test-only switches.
# SHELFCAST_DUCKDB_FILE is set by `shelfcast transform` for dbt only (the copy it builds in).
_ENV_NOT_SETTINGS = {"SHELFCAST_CONFIG", "SHELFCAST_DUCKDB_FILE"}
_ENV_NOT_SETTINGS_PREFIXES = ("SHELFCAST_TEST_",)


class WarehouseTarget(StrEnum):
    duckdb = "duckdb"
    spark = "spark"
    postgres = "postgres"
    redshift = "redshift"


# what `shelfcast forecast` compares by default; mllib joins them on request (it waits for a Spark session)
DEFAULT_FORECAST_MODELS = (
    "naive",
    "seasonal_naive",
    "moving_average_28",
    "lightgbm",
    "ets",
    "theta",
    "prophet",
)
FORECAST_MODELS = (*DEFAULT_FORECAST_MODELS, "mllib")
# Per-series models fit one model per series: above this many series a level is left to the global models
# (prophet: ~0.2 s per series and backtest cutoff; at scale s the store × product level has 15 598 series)
DEFAULT_LOCAL_MAX_SERIES = 100


class Settings(BaseSettings):
    """Effective configuration. Paths are relative to the working directory unless absolute."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="forbid", validate_default=True)

    data_dir: Path = Field(Path("data"), description="Root of everything shelfcast writes locally")
    sources_dir: Path | None = Field(
        None, description="Where `generate` writes the synthetic source systems [default: <data_dir>/sources]"
    )
    lake_uri: str | None = Field(
        None,
        description="Lake root: a folder, file://, s3a://bucket/prefix or hdfs:// [default: <data_dir>/lake]",
    )
    warehouse_target: WarehouseTarget = Field(
        WarehouseTarget.duckdb, description="dbt target of the warehouse"
    )
    redshift_iam_role: str | None = Field(
        None,
        description="ARN of the IAM role Redshift assumes to COPY the lake from S3 (target redshift)",
    )
    scale: ScaleName = Field(ScaleName.s, description="Synthetic data size: xs, s, m or l")
    seed: int = Field(
        42,
        ge=0,
        lt=2**63,
        description="Seed of the synthetic data and of model training; same seed, same result",
    )
    dirt_rate: float = Field(0.02, ge=0.0, le=0.5, description="Share of POS sale lines made dirty")
    erp_url: str | None = Field(
        None,
        description="PostgreSQL URL of the ERP database that generate writes and ingest reads "
        "[default: erp.sqlite in the sources folder]",
    )
    sources_host: str = Field("127.0.0.1", description="Host of the promotions/holidays/weather REST source")
    sources_port: int = Field(8765, ge=1, le=65535, description="Port of that REST source")
    spark_master: str = Field(
        "local[*]", description="Spark master: local[*], local[2], spark://host:7077, yarn (EMR)"
    )
    spark_conf: dict[str, str] = Field(
        default_factory=dict,
        description="Extra Spark settings, e.g. spark.driver.memory or spark.hadoop.fs.s3a.* "
        "(a [spark_conf] table in the file; JSON in SHELFCAST_SPARK_CONF)",
    )
    mlflow_tracking_uri: str | None = Field(
        None,
        description="MLflow tracking server or store [default: sqlite:///<data_dir>/mlflow/mlflow.db, "
        "artifacts beside it]",
    )
    forecast_horizon: int = Field(28, ge=1, le=366, description="Days ahead `shelfcast forecast` predicts")
    forecast_models: list[str] = Field(
        default_factory=lambda: list(DEFAULT_FORECAST_MODELS),
        description="Models `shelfcast forecast` backtests; each level's default is the best of them "
        "(also: mllib)",
    )
    forecast_local_max_series: int = Field(
        DEFAULT_LOCAL_MAX_SERIES,
        ge=0,
        description="Per-series models (ets, theta, prophet) forecast a level directly when it has at most "
        "this many series: the store, region, category and total levels at scales xs and s, the store × "
        "product level only when raised (prophet: about 0.2 s per series and backtest cutoff)",
    )
    ingest_chunk_mb: float = Field(
        256,
        gt=0,
        description="File sources land in chunks of whole days of about this many MB of input, so "
        "memory stays bounded however long the history",
    )
    ingest_chunk_rows: int = Field(
        3_000_000,
        gt=0,
        description="…and of at most about this many rows (estimated from the files' sizes and the line "
        "length at the start of the largest), whichever comes first: memory follows rows, and narrow rows "
        "pack many into a few MB",
    )
    jar_cache_dir: Path = Field(
        Path.home() / ".cache" / "shelfcast" / "ivy",
        description="Where Spark keeps the Maven jars it downloads (Delta, JDBC drivers, hadoop-aws)",
    )

    @field_validator("forecast_models")
    @classmethod
    def _known_models(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in FORECAST_MODELS]
        if unknown:
            raise ValueError(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(FORECAST_MODELS)}")
        if not value:
            raise ValueError("name at least one model")
        return value

    @field_validator("lake_uri")
    @classmethod
    def _no_blank_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @property
    def sources_path(self) -> Path:
        return self.sources_dir if self.sources_dir is not None else self.data_dir / "sources"

    @property
    def lake(self) -> str:
        return self.lake_uri if self.lake_uri is not None else str(self.data_dir / "lake")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _FileSource(settings_cls)


_file_values: ContextVar[dict[str, Any] | None] = ContextVar("shelfcast_config_file_values", default=None)


class _FileSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (_file_values.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(_file_values.get() or {})


def config_file_path(explicit: Path | None = None) -> Path | None:
    """The file in effect, or None when running on defaults and environment only."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get("SHELFCAST_CONFIG")
    if from_env:
        return Path(from_env)
    local = Path(CONFIG_FILE_NAME)
    return local if local.is_file() else None


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Read the configuration; any user mistake becomes a one-line ShelfcastError."""
    path = config_file_path(config_file)
    file_values = _read_file(path) if path is not None else {}
    _check_environment()
    token = _file_values.set(file_values)
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        key = str(first["loc"][0]) if first["loc"] else "?"
        where = _origin(key, path, overrides)
        raise ShelfcastError(
            f"configuration: {key} = {first.get('input')!r} is invalid: {first['msg']} ({where})",
            hint="fix it, or see `shelfcast config show` for every key and its default",
        ) from None
    finally:
        _file_values.reset(token)


def origins(config_file: Path | None = None, **overrides: Any) -> dict[str, str]:
    """Where each key's effective value comes from: flag, environment, file or default."""
    path = config_file_path(config_file)
    file_values = _read_file(path) if path is not None else {}
    return {key: _origin(key, path, overrides, file_values) for key in Settings.model_fields}


def _origin(
    key: str, path: Path | None, overrides: dict[str, Any], file_values: dict[str, Any] | None = None
) -> str:
    if overrides.get(key) is not None:
        return "command-line flag"
    if f"{ENV_PREFIX}{key.upper()}" in os.environ:
        return f"environment {ENV_PREFIX}{key.upper()}"
    values = file_values if file_values is not None else (_file_values.get() or {})
    if path is not None and key in values:
        return f"file {path}"
    return "default"


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ShelfcastError(
            f"configuration file {path} does not exist",
            hint="create it (see README, Configuration) or unset SHELFCAST_CONFIG",
        )
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ShelfcastError(
            f"configuration file {path} is not valid TOML: {error}",
            hint='fix the syntax; strings need quotes, e.g. scale = "s"',
        ) from None
    known = list(Settings.model_fields)
    for key in values:
        if key not in known:
            raise ShelfcastError(f"unknown key '{key}' in {path}", hint=_did_you_mean(key, known))
    return values


def _check_environment() -> None:
    known = {f"{ENV_PREFIX}{key.upper()}" for key in Settings.model_fields}
    for name in os.environ:
        if (
            name.startswith(ENV_PREFIX)
            and name not in known
            and name not in _ENV_NOT_SETTINGS
            and not name.startswith(_ENV_NOT_SETTINGS_PREFIXES)
        ):
            raise ShelfcastError(
                f"unknown environment variable {name}", hint=_did_you_mean(name, sorted(known))
            )


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.5)
    if close:
        return f"did you mean '{close[0]}'?"
    return "known keys: " + ", ".join(choices)
