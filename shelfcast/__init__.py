"""shelfcast: sales analytics and forecasting, from raw retail sources to dashboards and an API."""

__version__ = "0.1.0"
