#!/usr/bin/env bash
# The compose `pipeline` service: the synthetic retailer's sources (generated once per volume; point
# erp_url and the sources folder at real systems instead), then the whole asset graph through Dagster
# while the REST source is up: the same steps as `make demo`.
set -euo pipefail
cd /app
sources="${SHELFCAST_SOURCES_DIR:-$SHELFCAST_DATA_DIR/sources}"
[[ -f $sources/manifest.json ]] || shelfcast generate
scripts/with-sources-server.sh shelfcast run
