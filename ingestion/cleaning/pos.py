"""POS order lines: raw strings -> typed, normalised lines, with every refused line quarantined by reason.

Rules, in the order they are checked (a line gets the first reason that applies):

| reason | rule |
|---|---|
| wrong_field_count | the line does not have the header's number of fields |
| missing_required | transaction id, line, type, timestamp, store, product, quantity, price or amount empty |
| unparseable_timestamp | the timestamp matches none of TIMESTAMP_FORMATS |
| invalid_number | line number or quantity not an integer, price or amount not a number |
| invalid_transaction_type | type other than SALE or RETURN |
| negative_quantity | a SALE with a quantity below 1 (returns are RETURN lines) |
| positive_return | a RETURN with a quantity above -1 |
| future_timestamp | the sale happened after the day the file exports |
| unknown_store / unknown_product | the code is not in the ERP master data |
| amount_mismatch | line amount differs from quantity x unit price by more than a cent |
| conflicting_duplicate | same transaction and line as an earlier line of the day, different content |

Corrected, not refused (listed in `corrections`): codes are trimmed and upper-cased (`code_format`); prices
written with currency symbols or thousands separators are read as numbers (`price_format`).
Exact duplicates (same transaction, line and content) keep the first line by file and line number and are
counted as deduplicated. Empty optional fields (promo code, customer, payment type, original transaction)
become null; nothing else is filled in. Quantities far from the product's usual ones that day are flagged
(`is_outlier`, robust z-score, see `_with_outliers`) and kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from ingestion.cleaning.common import (
    LINEAGE,
    Cleaned,
    blank_to_null,
    code,
    deduplicate,
    first_reason,
    integer,
    money,
    was_code_scrambled,
    was_money_reformatted,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

# Spark datetime patterns tried in order. Slash dates are read month first (US exports).
TIMESTAMP_FORMATS = (
    "yyyy-MM-dd HH:mm:ss",
    "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy-MM-dd HH:mm",
    "MM/dd/yyyy hh:mm:ss a",
    "MM/dd/yyyy HH:mm",
    "dd.MM.yyyy HH:mm:ss",
    "dd.MM.yyyy HH:mm",
)
REQUIRED = (
    "transaction_id",
    "line_number",
    "transaction_type",
    "transaction_ts",
    "store_code",
    "product_code",
    "quantity",
    "unit_price",
    "line_amount",
)
OPTIONAL_TEXT = ("product_description", "payment_type")
OPTIONAL_CODES = ("promo_code", "customer_id", "original_transaction_id")
# |robust z| above this marks an outlier (Iglewicz and Hoaglin's 3.5).
OUTLIER_Z = 3.5
# A product needs this many sale lines on a day to be its own reference; below, its category's lines
# of the day are, and below that again the whole day's.
OUTLIER_MIN_LINES = 10
CLEAN_COLUMNS = (
    "transaction_id",
    "line_number",
    "transaction_type",
    "transaction_ts",
    "transaction_date",
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
    "is_outlier",
    "outlier_score",
    "corrections",
    *LINEAGE,
    "business_date",
)


def timestamp(column: str) -> Column:
    text = blank_to_null(column)
    return F.coalesce(*(F.try_to_timestamp(text, F.lit(p)) for p in TIMESTAMP_FORMATS))  # type: ignore[attr-defined]


def clean_pos_lines(raw: DataFrame, stores: DataFrame, products: DataFrame) -> Cleaned:
    """Split raw POS lines into clean lines, quarantined lines and per-day duplicate counts."""
    typed = _typed(raw)
    known_stores = stores.select(F.col("store_code").alias("_known_store")).distinct()
    known_products = products.select(F.col("product_code").alias("_known_product")).distinct()
    checked = (
        typed.join(F.broadcast(known_stores), typed["store_code"] == known_stores["_known_store"], "left")
        .join(F.broadcast(known_products), typed["product_code"] == known_products["_known_product"], "left")
        .withColumn("reason", _reason())
        .withColumn("reason_detail", _detail())
        .persist()
    )
    refused = checked.where(F.col("reason").isNotNull())
    valid = checked.where(F.col("reason").isNull())

    split = deduplicate(valid, ["business_date", "transaction_id", "line_number"], "content_hash")
    conflicting = split.conflicting.withColumns(
        {
            "reason": F.lit("conflicting_duplicate"),
            "reason_detail": F.concat(F.lit("first seen at line "), F.col("_winner_line").cast("string")),
        }
    )
    quarantine = _quarantine_rows(refused).unionByName(_quarantine_rows(conflicting))
    duplicates = split.exact.groupBy("business_date").agg(F.count(F.lit(1)).alias("rows_deduplicated"))
    scored, sales = _with_outliers(split.winners, products)
    return Cleaned(
        clean=scored.select(*CLEAN_COLUMNS),
        quarantine=quarantine,
        duplicates=duplicates,
        cached=(checked, split.cached, sales),
    )


def _typed(raw: DataFrame) -> DataFrame:
    comma = F.coalesce(F.col("decimal_comma"), F.lit(False))
    corrections = F.array_compact(  # type: ignore[attr-defined]
        F.array(
            F.when(
                was_code_scrambled("store_code") | was_code_scrambled("product_code"), F.lit("code_format")
            ),
            F.when(was_money_reformatted("unit_price", comma), F.lit("price_format")),
        )
    )
    content = F.sha2(
        F.concat_ws(
            "\u001f", *(F.coalesce(F.col(c), F.lit("")) for c in (*REQUIRED, *OPTIONAL_TEXT, *OPTIONAL_CODES))
        ),
        256,
    )
    return raw.select(
        "*",
        code("transaction_id").alias("t_transaction_id"),
        integer("line_number").alias("t_line_number"),
        code("transaction_type").alias("t_transaction_type"),
        timestamp("transaction_ts").alias("t_transaction_ts"),
        code("store_code").alias("t_store_code"),
        code("product_code").alias("t_product_code"),
        blank_to_null("product_description").alias("t_product_description"),
        integer("quantity").alias("t_quantity"),
        money("unit_price", comma).alias("t_unit_price"),
        money("line_amount", comma).alias("t_line_amount"),
        code("promo_code").alias("t_promo_code"),
        code("customer_id").alias("t_customer_id"),
        code("payment_type").alias("t_payment_type"),
        code("original_transaction_id").alias("t_original_transaction_id"),
        F.when(F.size(corrections) > 0, F.array_join(corrections, ",")).alias("corrections"),
        content.alias("content_hash"),
    ).transform(_promote_typed)


def _promote_typed(frame: DataFrame) -> DataFrame:
    """Keep the raw strings as `raw_<column>` and the typed values under the real names."""
    typed = [c[2:] for c in frame.columns if c.startswith("t_")]
    out = frame
    for name in typed:
        out = out.withColumnRenamed(name, f"raw_{name}").withColumnRenamed(f"t_{name}", name)
    return out.withColumn("transaction_date", F.to_date("transaction_ts"))


def _reason() -> Column:
    missing = F.lit(False)
    for column in REQUIRED:
        missing = missing | blank_to_null(f"raw_{column}").isNull()
    bad_number = (
        F.col("line_number").isNull()
        | F.col("quantity").isNull()
        | F.col("unit_price").isNull()
        | F.col("line_amount").isNull()
    )
    is_sale = F.col("transaction_type") == "SALE"
    return first_reason(
        (F.col("row_error").isNotNull(), "wrong_field_count"),
        (missing, "missing_required"),
        (F.col("transaction_ts").isNull(), "unparseable_timestamp"),
        (bad_number, "invalid_number"),
        (~F.col("transaction_type").isin("SALE", "RETURN"), "invalid_transaction_type"),
        (is_sale & (F.col("quantity") < 1), "negative_quantity"),
        (~is_sale & (F.col("quantity") > -1), "positive_return"),
        (F.col("transaction_date") > F.col("business_date"), "future_timestamp"),
        (F.col("_known_store").isNull(), "unknown_store"),
        (F.col("_known_product").isNull(), "unknown_product"),
        (
            F.abs(F.col("line_amount") - F.col("quantity") * F.col("unit_price")) > F.lit(0.01),
            "amount_mismatch",
        ),
    )


def _detail() -> Column:
    missing = F.array_compact(  # type: ignore[attr-defined]
        F.array(*(F.when(blank_to_null(f"raw_{c}").isNull(), F.lit(c)) for c in REQUIRED))
    )
    return (
        F.when(F.col("reason") == "missing_required", F.concat(F.lit("empty: "), F.array_join(missing, ", ")))
        .when(
            F.col("reason") == "unparseable_timestamp",
            F.concat(F.lit("transaction_ts = "), F.col("raw_transaction_ts")),
        )
        .when(
            F.col("reason") == "future_timestamp",
            F.concat(F.lit("transaction_ts = "), F.col("raw_transaction_ts")),
        )
        .when(F.col("reason") == "unknown_store", F.concat(F.lit("store_code = "), F.col("store_code")))
        .when(F.col("reason") == "unknown_product", F.concat(F.lit("product_code = "), F.col("product_code")))
        .when(
            F.col("reason").isin("negative_quantity", "positive_return"),
            F.concat(F.lit("quantity = "), F.col("raw_quantity")),
        )
        .when(F.col("reason") == "wrong_field_count", F.col("raw_record"))
    )


def _quarantine_rows(frame: DataFrame) -> DataFrame:
    raw_columns = [c for c in frame.columns if c.startswith("raw_") and c != "raw_record"]
    record = F.to_json(F.struct(*(F.col(c).alias(c[4:]) for c in raw_columns)))
    return frame.select(
        F.lit("pos_lines").alias("dataset"),
        "business_date",
        "reason",
        "reason_detail",
        F.coalesce(F.col("raw_record"), record).alias("record"),
        *LINEAGE,
    )


def _with_outliers(lines: DataFrame, products: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Robust z-score of log quantity: 0.6745 x (log q - median) / MAD, on sale lines of the day.

    The product's own median and MAD need OUTLIER_MIN_LINES sale lines that day; a thinner product is
    compared with its category's lines that day, and a thin category with the whole day. Everything is
    computed within the batch, so a rerun of a day scores it exactly as before.
    """
    categories = products.select("product_code", F.col("category").alias("_category"))
    sales = (
        lines.where(F.col("transaction_type") == "SALE")
        .join(F.broadcast(categories), "product_code", "left")
        .select(
            "business_date",
            "product_code",
            "_category",
            "source_file",
            "source_line",
            F.log(F.col("quantity")).alias("_log_q"),
        )
        .persist()  # narrow, and read seven times below
    )
    levels = {
        "product": ["business_date", "product_code"],
        "category": ["business_date", "_category"],
        "day": ["business_date"],
    }
    scored = sales
    for level, keys in levels.items():
        centre = sales.groupBy(*keys).agg(
            F.median("_log_q").alias(f"_median_{level}"), F.count(F.lit(1)).alias(f"_n_{level}")
        )
        spread = (
            sales.join(centre, keys)
            .groupBy(*keys)
            .agg(F.median(F.abs(F.col("_log_q") - F.col(f"_median_{level}"))).alias(f"_mad_{level}"))
        )
        scored = scored.join(centre.join(spread, keys), keys, "left")
    enough_product = F.col("_n_product") >= OUTLIER_MIN_LINES
    enough_category = F.col("_n_category") >= OUTLIER_MIN_LINES
    median = (
        F.when(enough_product, F.col("_median_product"))
        .when(enough_category, F.col("_median_category"))
        .otherwise(F.col("_median_day"))
    )
    mad = (
        F.when(enough_product, F.col("_mad_product"))
        .when(enough_category, F.col("_mad_category"))
        .otherwise(F.col("_mad_day"))
    )
    # A spread of zero (all lines one unit) would put any other quantity infinitely far: floor it at
    # the distance between 1 and 2 units on the log scale.
    scale = F.greatest(mad, F.lit(0.6931471805599453))
    scores = scored.select(
        "business_date",
        "source_file",
        "source_line",
        F.round(F.lit(0.6745) * (F.col("_log_q") - median) / scale, 3).alias("outlier_score"),
    )
    scored_lines = lines.join(scores, ["business_date", "source_file", "source_line"], "left").withColumn(
        "is_outlier", F.coalesce(F.abs(F.col("outlier_score")) > OUTLIER_Z, F.lit(False))
    )
    return scored_lines, sales
