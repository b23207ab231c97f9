"""The HTTP API: KPIs, forecasts and inventory from the active warehouse, read-only, behind API keys."""
