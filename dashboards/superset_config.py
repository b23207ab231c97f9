"""Superset's configuration for shelfcast, loaded by Superset itself (SUPERSET_CONFIG_PATH) in its own venv:
it must not import shelfcast. `shelfcast dashboards up` sets the variables it reads:

SUPERSET_HOME          the metadata database and logs (<data_dir>/superset)
SUPERSET_SECRET_KEY    signs sessions and encrypts stored database passwords (generated once, kept 0600)
SUPERSET_METADATA_URI  optional: a PostgreSQL metadata database instead of SQLite in SUPERSET_HOME
"""

import os
from pathlib import Path

from superset.utils.log import StdOutEventLogger

HOME = Path(os.environ["SUPERSET_HOME"])
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ.get("SUPERSET_METADATA_URI") or f"sqlite:///{HOME / 'superset.db'}"

# Served over plain HTTP on 127.0.0.1 (behind a TLS load balancer in a deployment): no HSTS/CSP redirects.
TALISMAN_ENABLED = False
WTF_CSRF_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
# No phoning home: the telemetry pixel and the examples' data URLs need the internet.
SCARF_ANALYTICS = False

# Chart data is cached per query; a cache key includes the row-level-security clauses of the user who
# asked (Superset adds them to the query before hashing), so one region's rows never answer another's.
_cache = {"CACHE_TYPE": "FileSystemCache", "CACHE_DIR": str(HOME / "cache"), "CACHE_DEFAULT_TIMEOUT": 600}
CACHE_CONFIG = {**_cache, "CACHE_KEY_PREFIX": "shelfcast_"}
DATA_CACHE_CONFIG = {**_cache, "CACHE_KEY_PREFIX": "shelfcast_data_"}
FILTER_STATE_CACHE_CONFIG = {**_cache, "CACHE_KEY_PREFIX": "shelfcast_filter_"}
EXPLORE_FORM_DATA_CACHE_CONFIG = {**_cache, "CACHE_KEY_PREFIX": "shelfcast_explore_"}

FEATURE_FLAGS = {
    "DASHBOARD_NATIVE_FILTERS": True,
    "DASHBOARD_CROSS_FILTERS": True,
    "ROW_LEVEL_SECURITY": True,
    "ENABLE_TEMPLATE_PROCESSING": False,
}
# Dashboards open with their filters applied; viewers cannot upload files into the warehouse.
CSV_EXTENSIONS: set[str] = set()
EXCEL_EXTENSIONS: set[str] = set()
COLUMNAR_EXTENSIONS: set[str] = set()

# Business users see the dashboards they are granted; anonymous visitors see nothing.
PUBLIC_ROLE_LIKE = None
AUTH_ROLE_PUBLIC = "Public"
SUPERSET_WEBSERVER_TIMEOUT = 120
# The action log goes to gunicorn.log, not into the metadata database: on SQLite every chart request's log
# row was a write that the other workers' requests queued behind (a cold dashboard rendered ~25 % slower).
EVENT_LOGGER = StdOutEventLogger()
ROW_LIMIT = 50_000
LOG_LEVEL = "WARNING"
