"""The dataset mapping file: where a retailer's own sales data is, how to read it, and which of its columns
fill the shelfcast sales contract. `json_schema()` is the JSON Schema editors validate the YAML with."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
Grain = Literal["order_line", "daily", "weekly"]
FileFormat = Literal["csv", "parquet"]
# roles of `columns` that hold one source column each (series keys and the date are handled apart)
MEASURES = ("quantity", "revenue", "unit_price", "cost", "stock_on_hand")
FLAGS = ("promo_flag", "is_open")
TEXTS = ("order_id", "order_line", "customer", "region", "category")

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"
_SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_COMPRESSED = (".gz",)


def mapping_error(message: str, hint: str | None = None) -> PydanticCustomError:
    """A validation error with our own wording; the loader shows `hint` as the fix."""
    # the message travels as a context value: braces in it (${VAR}) must not be read as a template
    return PydanticCustomError("mapping", "{message}", {"message": message, "hint": hint or ""})


def _fail(loc: tuple[str | int, ...], message: str, hint: str | None = None, value: object = None) -> None:
    """Raise a validation error located at `loc` below the model being validated, so the loader can name
    the line of the key that is wrong rather than the line of the whole block."""
    detail = InitErrorDetails(type=mapping_error(message, hint), loc=loc, input=value)
    raise ValidationError.from_exception_data("Mapping", [detail])


def _expand(value: str, info: ValidationInfo) -> str:
    """`${NAME}` replaced from the environment the loader was given (none: left as written)."""
    environ = (info.context or {}).get("environ")
    if environ is None:
        return value

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise mapping_error(
                f"environment variable {name} is not set",
                f"export {name}=… (the folder or URL the mapping refers to) and run again",
            )
        return str(environ[name])

    # $HOME or ${HOME without its brace would otherwise stay in the path as text
    if re.search(r"\$[A-Za-z_{]", _VARIABLE.sub("", value)):
        raise mapping_error(
            f"{value!r} has a $ that is not a ${{NAME}} variable", "write variables as ${NAME}"
        )
    return _VARIABLE.sub(substitute, value)


class _Model(BaseModel):
    # a misspelt key must be an error, never a silently ignored option
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReadOptions(_Model):
    """How delimited text is read. Parquet files carry their own types; for their text columns only
    `date_format`, `decimal` and `thousands` apply."""

    delimiter: str = Field(",", min_length=1, max_length=1, description="Field separator, e.g. ',' ';' '\\t'")
    encoding: Literal["utf-8", "latin-1", "utf-16"] = Field(
        "utf-8", description="Text encoding of the files (a UTF-8 byte-order mark is skipped)"
    )
    quote: str = Field('"', min_length=1, max_length=1, description="Quote character; doubled inside quotes")
    header: bool = Field(
        True, description="The first line names the columns; without it they are column1, column2, …"
    )
    date_format: str | None = Field(
        None,
        description="strftime format of the date column, e.g. '%d/%m/%Y'; default: detected from the data, "
        "refused when ambiguous (01/02/2012)",
    )
    decimal: Literal[".", ","] = Field(".", description="Decimal separator of numbers")
    thousands: Literal[",", ".", " ", "'"] | None = Field(
        None, description="Thousands separator inside numbers (1.234,50); default: none"
    )
    null_values: list[str] = Field(
        default_factory=lambda: [""], description="Values that mean missing, e.g. ['', 'NA', 'NULL']"
    )

    @field_validator("date_format")
    @classmethod
    def _strftime(cls, value: str | None) -> str | None:
        if value is not None and "%" not in value:
            hint = "use strftime codes: %Y-%m-%d, %d/%m/%Y, %m/%d/%y (not yyyy-MM-dd)"
            raise mapping_error(f"date_format {value!r} has no % code", hint)
        return value

    @model_validator(mode="after")
    def _separators_differ(self) -> ReadOptions:
        if self.thousands is not None and self.thousands == self.decimal:
            _fail(("thousands",), f"thousands and decimal are both {self.decimal!r}", value=self.thousands)
        return self

    def merged(self, override: ReadOptions | None) -> ReadOptions:
        """These options with the keys `override` sets replacing them (a linked table's own `read`)."""
        if override is None:
            return self
        return self.model_copy(update={key: getattr(override, key) for key in override.model_fields_set})


class Week(_Model):
    """Which day a weekly row's date falls on and which end of the week it names."""

    anchor: Weekday = Field(description="Weekday every date falls on, e.g. friday")
    label: Literal["start", "end"] = Field(
        description="The date is the week's first day (start) or its last day (end)"
    )


class Jdbc(_Model):
    """A database table read over JDBC. Credentials come from environment variables, never the file."""

    url: str = Field(
        pattern=r"^(jdbc:|\$\{)", description="JDBC URL without credentials, e.g. jdbc:postgresql://host/db"
    )
    table: str = Field(min_length=1, description="Table or view, optionally schema-qualified")
    user_env: str | None = Field(None, pattern=_ENV_NAME, description="Variable holding the user name")
    password_env: str | None = Field(None, pattern=_ENV_NAME, description="Variable holding the password")

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, value: str, info: ValidationInfo) -> str:
        # checked as written: the file is what gets committed and shared
        if re.search(r"password=|//[^/@]*:[^/@]*@", value, re.IGNORECASE):
            raise mapping_error(
                "the JDBC url carries a password", "remove it and name its variable in password_env"
            )
        expanded = _expand(value, info)
        if not expanded.startswith("jdbc:"):
            raise mapping_error(f"{expanded!r} is not a JDBC url", "e.g. jdbc:postgresql://host:5432/db")
        return expanded


class TableSource(_Model):
    """Where a table is: files (a path or glob) or a JDBC table."""

    files: str | None = Field(
        None,
        description="CSV or Parquet path or glob; ${VAR} is taken from the environment, a relative path is "
        "relative to the mapping file's folder",
    )
    format: FileFormat | None = Field(None, description="csv or parquet; default: from the file extension")
    jdbc: Jdbc | None = Field(None, description="A database table instead of files")

    @field_validator("files")
    @classmethod
    def _resolve(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        expanded = _expand(value, info)
        base = (info.context or {}).get("base_dir")
        if base is None or Path(expanded).is_absolute():
            return expanded
        return str(Path(base) / expanded)

    @model_validator(mode="after")
    def _one_place(self) -> TableSource:
        if (self.files is None) == (self.jdbc is None):
            _fail((), "give either files or jdbc", "files: a path or glob; jdbc: url and table")
        if self.jdbc is not None and self.format is not None:
            _fail(("format",), "format applies to files only", value=self.format)
        if self.files is not None and self.format is None and _suffix_format(self.files) is None:
            _fail(
                ("files",),
                f"cannot tell the format of {Path(self.files).name!r} from its extension",
                "add format: csv or format: parquet",
                self.files,
            )
        return self

    @property
    def file_format(self) -> FileFormat:
        """csv or parquet, as declared or from the extension (files only)."""
        return self.format or _suffix_format(self.files or "") or "csv"

    @property
    def where(self) -> str:
        """The files pattern or the JDBC table, for messages."""
        return self.files if self.files is not None else f"{self.jdbc.table} at {self.jdbc.url}"  # type: ignore[union-attr]


def _suffix_format(pattern: str) -> FileFormat | None:
    name = Path(pattern).name.lower()
    for compressed in _COMPRESSED:
        name = name.removesuffix(compressed)
    return _SUFFIXES.get(Path(name).suffix)


class KeyedTable(TableSource):
    """A table joined to the sales rows on `keys`: contract roles (date, store, product, order_id, a
    series column…) mapped to this table's own column names."""

    read: ReadOptions | None = Field(
        None, description="Read options for this table; unset keys inherit `read`"
    )
    keys: dict[str, str] = Field(
        min_length=1, description="Join keys: contract role -> this table's column, e.g. {date: Date}"
    )


class DatedTable(KeyedTable):
    """Values per date (and optionally per series key): regressors for history or for the future."""

    @model_validator(mode="after")
    def _has_date(self) -> DatedTable:
        if "date" not in self.keys:
            _fail(("keys",), "keys must include date", "e.g. keys: {date: Date, store: Store}", self.keys)
        return self


class AttributeTable(KeyedTable):
    """Static attributes of a series key (store size, product brand): one row per key."""

    columns: list[str] = Field(min_length=1, description="Attribute columns to carry, e.g. [Type, Size]")

    @model_validator(mode="after")
    def _undated(self) -> AttributeTable:
        if "date" in self.keys:
            _fail(
                ("keys",), "attributes are per key, not per date", "key them on store or product", self.keys
            )
        return self


class Returns(_Model):
    """Which rows are returns or cancellations: a marker column and the values that mean it."""

    column: str = Field(min_length=1, description="Column holding the marker (in `table` when given)")
    values: list[str] = Field(
        min_length=1, description="Marker values meaning return/cancellation; quote Yes/No in YAML"
    )
    kind: Literal["return_line", "returned_sale"] = Field(
        "return_line",
        description="return_line: the row is a return, its quantity and revenue count negative; "
        "returned_sale: the row is a sale later returned or cancelled",
    )
    table: KeyedTable | None = Field(
        None, description="A separate table holding the marker, joined on keys such as {order_id: Order ID}"
    )


# what a regressor is to the forecasting models -> the panel's known-ahead covariate it fills (`ml.panel`)
REGRESSOR_ROLES = {"holiday": "is_holiday", "promotion": "is_promoted", "discount_pct": "promo_discount_pct"}


class Regressor(_Model):
    column: str = Field(min_length=1, description="Source column")
    type: Literal["number", "boolean", "category"] = Field("number", description="How values are read")
    role: Literal["holiday", "promotion", "discount_pct"] | None = Field(
        None,
        description="What the forecasting models use it as: holiday (a calendar flag: a date any row marks "
        "is a holiday for every series), promotion (the series is on promotion: flag or share), "
        "discount_pct (its discount in %); without a role it is carried, not modelled",
    )

    @model_validator(mode="after")
    def _role_fits_type(self) -> Regressor:
        allowed = ("number",) if self.role == "discount_pct" else ("number", "boolean")
        if self.role is not None and self.type not in allowed:
            _fail(
                ("role",),
                f"a {self.role} regressor cannot be of type {self.type}",
                f"declare it as type: {' or '.join(allowed)}",
                self.role,
            )
        return self


class Regressors(_Model):
    """Extra columns carried as exogenous regressors, with their known future values."""

    columns: list[str | Regressor] = Field(
        min_length=1, description="Regressor columns: a name (a number) or {column, type, role}"
    )
    features: DatedTable | None = Field(
        None, description="Table the regressors come from; default: the sales rows themselves"
    )
    future: DatedTable | None = Field(
        None, description="Table of the regressors' known values after the last sales date"
    )

    @property
    def specs(self) -> list[Regressor]:
        return [Regressor(column=c) if isinstance(c, str) else c for c in self.columns]

    @model_validator(mode="after")
    def _distinct(self) -> Regressors:
        seen: set[str] = set()
        roles: set[str] = set()
        for index, spec in enumerate(self.specs):
            if spec.column in seen:
                _fail(("columns", index), f"regressor {spec.column!r} is listed twice", value=spec.column)
            if spec.role is not None:
                if spec.role in roles:
                    twice = f"two regressors have role {spec.role}"
                    _fail(("columns", index, "role"), twice, value=spec.role)
                roles.add(spec.role)
            seen.add(spec.column)
        return self


class Columns(_Model):
    """Source columns that fill the shelfcast sales contract (role: source column name)."""

    date: str = Field(min_length=1, description="Sale date (or week) column")
    store: str | None = Field(None, description="Store code column (series key)")
    product: str | None = Field(None, description="Product code column (series key)")
    series: list[str] | None = Field(
        None, min_length=1, description="Series key columns, instead of store and product"
    )
    quantity: str | None = Field(None, description="Units sold; negative on returns")
    revenue: str | None = Field(None, description="Sales amount of the row")
    order_id: str | None = Field(None, description="Order or receipt id")
    order_line: str | None = Field(None, description="Line number within the order (or a unique row id)")
    customer: str | None = Field(None, description="Customer id")
    unit_price: str | None = Field(None, description="Price per unit")
    cost: str | None = Field(None, description="Cost of the row's goods")
    promo_flag: str | None = Field(None, description="True when the row was on promotion")
    region: str | None = Field(None, description="Region code or name")
    category: str | None = Field(None, description="Product category")
    is_open: str | None = Field(None, description="True when the store was open; false rows mean closed")
    stock_on_hand: str | None = Field(None, description="Units in stock")

    @model_validator(mode="after")
    def _contract(self) -> Columns:
        if self.series is not None and (self.store or self.product):
            _fail(("series",), "give series or store/product, not both", value=self.series)
        if not (self.series or self.store or self.product):
            _fail((), "no series key", "map store and/or product, or list series: [your key columns]")
        if not (self.quantity or self.revenue):
            _fail((), "neither quantity nor revenue is mapped", "map quantity, revenue or both")
        if self.series is not None and len(set(self.series)) < len(self.series):
            _fail(("series",), "a series column is listed twice", value=self.series)
        return self

    def series_keys(self) -> list[tuple[str, str]]:
        """(role, source column) of every series key: store and product, or each `series` column under
        its own name."""
        if self.series is not None:
            return [(column, column) for column in self.series]
        return [(role, column) for role in ("store", "product") if (column := getattr(self, role))]

    def roles(self) -> dict[str, str]:
        """Every mapped role -> source column: the date, the series keys and each optional column."""
        mapped = {"date": self.date, **dict(self.series_keys())}
        for role in (*MEASURES, *FLAGS, *TEXTS):
            if (column := getattr(self, role)) is not None:
                mapped[role] = column
        return mapped


class Mapping(_Model):
    """A retailer's sales data described for shelfcast."""

    version: Literal[1] = Field(1, description="Format version of this file")
    name: str = Field(
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="Dataset name: lowercase letters, digits and _, used as a table/schema suffix",
    )
    description: str | None = Field(None, description="Free text")
    source: TableSource = Field(description="Where the sales rows are")
    read: ReadOptions = Field(default_factory=ReadOptions, description="How files are read")
    grain: Grain = Field(description="One row per order_line, per series and day (daily) or week (weekly)")
    week: Week | None = Field(None, description="Required for weekly grain: the dates' weekday and meaning")
    columns: Columns = Field(description="Source columns filling the sales contract")
    missing_days: Literal["zero", "closed"] = Field(
        description="A series' day (week) without rows: zero sales, or closed/unknown (left out of training "
        "and scoring)"
    )
    keys_as_text: bool = Field(True, description="Read series keys as text so codes keep leading zeros")
    negative_quantities: Literal["return", "invalid"] = Field(
        "return",
        description="Negative quantity (or revenue without quantity): a return netted against sales, or an "
        "invalid row",
    )
    returns: Returns | None = Field(None, description="Marker of return or cancellation rows")
    regressors: Regressors | None = Field(None, description="Exogenous regressors and their future values")
    attributes: list[AttributeTable] = Field(
        default_factory=list, description="Tables of static attributes per store or product"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Mapping:
        if self.grain == "weekly" and self.week is None:
            _fail(("grain",), "weekly grain needs week", "add week: {anchor: friday, label: end}", self.grain)
        if self.grain != "weekly" and self.week is not None:
            _fail(("week",), f"week applies to weekly grain, not {self.grain}", value=self.week.anchor)
        if self.grain == "order_line" and self.columns.order_id is None:
            _fail(("columns",), "order_line grain needs columns.order_id", "map the order or receipt id")
        series = {role for role, _ in self.columns.series_keys()}
        if self.regressors is not None:
            for part in ("features", "future"):
                table = getattr(self.regressors, part)
                if table is not None:
                    self._check_keys(("regressors", part, "keys"), table.keys, series | {"date"})
        if self.returns is not None and self.returns.table is not None:
            self._check_keys(("returns", "table", "keys"), self.returns.table.keys, set(self.columns.roles()))
        for index, table in enumerate(self.attributes):
            self._check_keys(("attributes", index, "keys"), table.keys, series)
        return self

    @staticmethod
    def _check_keys(loc: tuple[str | int, ...], keys: dict[str, str], allowed: set[str]) -> None:
        for role in keys:
            if role not in allowed:
                _fail(
                    (*loc, role),
                    f"{role!r} is not a key of the sales rows",
                    "choose from " + ", ".join(sorted(allowed)),
                    role,
                )

    @property
    def step_days(self) -> int:
        """Days between consecutive periods of the forecast: 7 on weekly data, else 1."""
        return 7 if self.grain == "weekly" else 1

    def grain_keys(self) -> list[str]:
        """Roles whose values identify one row at the declared grain."""
        if self.grain != "order_line":
            return ["date", *(role for role, _ in self.columns.series_keys())]
        if self.columns.order_line is not None:
            return ["order_id", "order_line"]
        # without a line number a product occurs once per order
        return ["order_id", "date", *(role for role, _ in self.columns.series_keys())]


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a mapping file (what `ingestion/mapping/mapping.schema.json` holds)."""
    schema = Mapping.model_json_schema()
    schema["title"] = "shelfcast dataset mapping"
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def json_schema_text() -> str:
    """The JSON Schema as the committed file and `shelfcast dataset schema` write it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
