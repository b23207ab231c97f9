"""The REST JSON source (promotions, holidays, weather): paginated, retried with backoff, resumable.

Each page is saved under the state folder as soon as it arrives. A run that dies on page 37 resumes at
page 37 next time instead of starting over, unless the server's total changed in between (then the saved
pages no longer describe one consistent result and the fetch starts again). The state of a resource is
removed once its records are landed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from shelfcast.errors import ShelfcastError

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class _RetryableError(Exception):
    def __init__(self, url: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url, self.reason, self.retry_after = url, reason, retry_after


@dataclass(frozen=True)
class RestRecord:
    data: dict[str, Any]
    url: str  # the page it came from
    position: int  # 1-based position in the whole result


@dataclass
class RestSource:
    base_url: str
    state_dir: Path
    page_size: int = 1000
    timeout: float = 10.0
    attempts: int = 6
    max_wait: float = 8.0

    def fetch(
        self,
        resource: str,
        since: dt.date | None = None,
        until: dt.date | None = None,
        on_page: Callable[[int, int], None] | None = None,
    ) -> list[RestRecord]:
        """Every record of `resource` in [since, until], resuming from saved pages where possible."""
        params: dict[str, str | int] = {"page_size": self.page_size}
        if since:
            params["since"] = since.isoformat()
        if until:
            params["until"] = until.isoformat()
        state = self.state_folder(resource, since, until)
        pages = _saved_pages(state)
        records: list[RestRecord] = []
        with httpx.Client(base_url=self.base_url, timeout=self.timeout) as client:
            page_number, total = 1, None
            while True:
                saved = pages.get(page_number)
                body = (
                    saved
                    if saved is not None
                    else self._get(client, resource, params | {"page": page_number})
                )
                if total is not None and body.get("total") != total:
                    # The result changed under us: saved pages may overlap or miss records.
                    shutil.rmtree(state, ignore_errors=True)
                    pages = {}
                    page_number, total, records = 1, None, []
                    continue
                total = body.get("total")
                if saved is None:
                    _save_page(state, page_number, body)
                url = f"{self.base_url}/{resource}?page={page_number}"
                offset = (page_number - 1) * int(body.get("page_size") or self.page_size)
                for i, row in enumerate(body.get("data") or []):
                    records.append(RestRecord(row, url, offset + i + 1))
                if on_page is not None:
                    on_page(len(records), int(total or len(records)))
                if not body.get("next_page"):
                    break
                page_number = int(body["next_page"])
        return records

    def state_folder(self, resource: str, since: dt.date | None, until: dt.date | None) -> Path:
        return self.state_dir / f"{resource}_{since or 'start'}_{until or 'end'}"

    def forget(self, resource: str, since: dt.date | None, until: dt.date | None) -> None:
        shutil.rmtree(self.state_folder(resource, since, until), ignore_errors=True)

    def _get(self, client: httpx.Client, resource: str, params: dict[str, str | int]) -> dict[str, Any]:
        url = f"{self.base_url}/{resource}"

        def once() -> dict[str, Any]:
            try:
                response = client.get(f"/{resource}", params=params)
            except httpx.TimeoutException as error:
                raise _RetryableError(url, f"timed out after {self.timeout:g} s") from error
            except httpx.TransportError as error:
                raise _RetryableError(url, f"connection failed ({type(error).__name__}: {error})") from error
            if response.status_code in RETRY_STATUSES:
                raise _RetryableError(url, f"HTTP {response.status_code}", _retry_after(response))
            if response.status_code != 200:
                raise ShelfcastError(
                    f"REST source {url} (page {params.get('page')}) answered HTTP {response.status_code}: "
                    f"{response.text[:200]}",
                    hint="check sources_host/sources_port and the request parameters",
                )
            try:
                body = response.json()
            except ValueError as error:
                raise _RetryableError(url, "the response is not JSON") from error
            if not isinstance(body, dict) or not isinstance(body.get("data"), list):
                raise ShelfcastError(
                    f"REST source {url} (page {params.get('page')}) answered without a `data` list",
                    hint="is sources_host/sources_port the shelfcast REST source?",
                )
            return body

        retrying = Retrying(
            retry=retry_if_exception(lambda e: isinstance(e, _RetryableError)),
            stop=stop_after_attempt(self.attempts),
            wait=_wait(self.max_wait),
            reraise=True,
        )
        try:
            return retrying(once)
        except _RetryableError as error:
            raise ShelfcastError(
                f"REST source {error.url} (page {params.get('page')}): {error.reason}, "
                f"still failing after {self.attempts} attempts",
                hint="is the source up? `shelfcast serve-sources` serves the synthetic one; a rerun resumes "
                "from the last saved page",
            ) from None


def _wait(max_wait: float) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(multiplier=0.2, max=max_wait, jitter=0.2)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        hinted = getattr(error, "retry_after", None)
        return min(float(hinted), max_wait) if hinted is not None else backoff(state)

    return wait


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _saved_pages(state: Path) -> dict[int, dict[str, Any]]:
    pages: dict[int, dict[str, Any]] = {}
    for path in sorted(state.glob("page-*.json")):
        try:
            pages[int(path.stem.split("-")[1])] = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            continue  # a page cut short by a crash is fetched again
    return pages


def _save_page(state: Path, number: int, body: dict[str, Any]) -> None:
    state.mkdir(parents=True, exist_ok=True)
    target = state / f"page-{number:06d}.json"
    partial = target.with_suffix(".json.partial")
    partial.write_text(json.dumps(body), encoding="utf-8")
    partial.replace(target)
