"""For `dagster dev -m orchestration.repository`: the definitions from the environment's configuration
(shelfcast.toml, SHELFCAST_* variables). Importing it runs `dbt parse` once."""

from orchestration.definitions import build_definitions
from shelfcast.config import load_settings

defs = build_definitions(load_settings())
