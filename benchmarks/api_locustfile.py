"""The load `benchmarks/api_latency.py` puts on the API: a planner's and an analyst's requests, each user
one request per second on average, so the users count is the request rate. The pauses are exponential
(requests arrive as a Poisson stream, as independent users' do): at a constant pace every user, started
together, fires in the same millisecond each second, and the figure measured is the queue of that burst.
Codes come from the environment (`SHELFCAST_BENCH_*`), set by the benchmark from the warehouse."""

from __future__ import annotations

import os
import random

from locust import FastHttpUser, task

STORES = os.environ["SHELFCAST_BENCH_STORES"].split(",")
PRODUCTS = os.environ["SHELFCAST_BENCH_PRODUCTS"].split(",")
HEADERS = {"X-API-Key": os.environ["SHELFCAST_BENCH_KEY"]}


class Planner(FastHttpUser):
    def wait_time(self) -> float:
        return random.expovariate(1.0)

    @task(4)
    def forecast_of_a_product_in_a_store(self) -> None:
        params = {"store": random.choice(STORES), "product": random.choice(PRODUCTS)}
        self.client.get("/forecasts", params=params, headers=HEADERS, name="/forecasts?store&product")

    @task(3)
    def weekly_kpis_of_a_store(self) -> None:
        params = {"grain": "week", "store": random.choice(STORES), "limit": 60}
        self.client.get("/kpis", params=params, headers=HEADERS, name="/kpis?grain=week&store")

    @task(1)
    def monthly_kpis_by_region(self) -> None:
        params = {"grain": "month", "group_by": "region", "limit": 200}
        self.client.get("/kpis", params=params, headers=HEADERS, name="/kpis?grain=month&group_by=region")

    @task(2)
    def stock_alerts_of_a_store(self) -> None:
        params = {"store": random.choice(STORES), "limit": 50}
        self.client.get("/inventory/alerts", params=params, headers=HEADERS, name="/inventory/alerts?store")

    @task(1)
    def recommendations_to_order(self) -> None:
        params = {"store": random.choice(STORES), "needs_order": "true", "limit": 100}
        self.client.get(
            "/inventory/recommendations", params=params, headers=HEADERS, name="/inventory/recommendations"
        )

    @task(1)
    def stores(self) -> None:
        self.client.get("/stores", headers=HEADERS, name="/stores")
