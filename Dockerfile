# syntax=docker/dockerfile:1
# One image for the pipeline, the Dagster UI and the API: the same Debian packages, uv, lock and editable
# install as `make demo` / `make test` (scripts/system-deps.sh and the Makefile's install target), so a
# container runs exactly what the tests ran. Build: `docker build -t shelfcast .` (compose.yaml does it).
FROM python:3.11-slim-bookworm AS app

ENV PYTHONUNBUFFERED=1 \
    SHELFCAST_DATA_DIR=/data \
    SHELFCAST_JAR_CACHE_DIR=/opt/shelfcast/ivy
WORKDIR /app

# make drives the install; scripts/system-deps.sh adds Java 17 for Spark and the PostgreSQL client
RUN apt-get update -qq \
    && apt-get install -y -qq --no-install-recommends make \
    && rm -rf /var/lib/apt/lists/*
COPY scripts/system-deps.sh scripts/system-deps.sh
RUN scripts/system-deps.sh && rm -rf /var/lib/apt/lists/*

# Dependencies first (a layer that only changes with the lock), then the code.
COPY Makefile pyproject.toml requirements.lock README.md ./
RUN mkdir -p shelfcast && touch shelfcast/__init__.py \
    && make .venv/.shelfcast-installed PYTHON=python3.11 \
    && rm -rf .cache/uv
COPY . .
# Again with the whole source tree: the editable install maps every package (synthetic, ingestion, ml, …);
# the lock is unchanged, so the sync is a no-op.
RUN rm .venv/.shelfcast-installed \
    && make .venv/.shelfcast-installed PYTHON=python3.11 \
    && rm -rf .cache/uv \
    && .venv/bin/python -c "from shelfcast.warehouse import install_duckdb_extensions as i; i()" \
    && .venv/bin/shelfcast --version
# Spark's Maven jars (Delta, JDBC drivers, hadoop-aws) fetched once here, not by every container at start
RUN SHELFCAST_LAKE_URI=s3a://prefetch/lake .venv/bin/python -c "from shelfcast.config import load_settings; \
from shelfcast.spark import get_spark; get_spark(load_settings(data_dir='/tmp/prefetch')).stop()" \
    && rm -rf /tmp/prefetch

ENV PATH=/app/.venv/bin:$PATH
VOLUME ["/data"]
# 8000: `shelfcast serve` (the API); 3000: `shelfcast ui` (Dagster)
EXPOSE 8000 3000
CMD ["shelfcast", "--help"]

# Superset: the app image plus Superset's own venv, installed from dashboards/superset-requirements.lock as
# `shelfcast dashboards up` installs it; the container imports the dashboards, then serves in the foreground.
FROM app AS superset
RUN .venv/bin/python -c "from dashboards.server import install; install(print)" && rm -rf .cache/uv
EXPOSE 8088
CMD ["shelfcast", "dashboards", "up", "--host", "0.0.0.0", "--port", "8088", "--foreground"]
