"""API keys: random tokens shown once when created, stored only as SHA-256 hashes beside their region scope.

A key carries 256 random bits, so a fast hash is enough (slow password hashes protect guessable secrets;
nobody guesses 256 bits), and a stolen key file reveals no key. The store is a SQLite file in the data dir,
beside the warehouse and never in it: every build replaces the warehouse file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from shelfcast.errors import ShelfcastError

PREFIX = "sck_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
SCHEMA = """
create table if not exists api_keys (
    name text primary key,
    key_sha256 text not null unique,
    regions text,  -- JSON list of region codes; null: every region
    created_at text not null
)
"""


@dataclass(frozen=True)
class ApiKey:
    name: str
    regions: tuple[str, ...] | None  # the regions the key may read; None: all of them
    created_at: str

    def may_read(self, region: str) -> bool:
        return self.regions is None or region in self.regions


def key_store_path(data_dir: Path) -> Path:
    return data_dir / "api" / "keys.sqlite"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self, writing: bool = True) -> Iterator[sqlite3.Connection]:
        """A connection committed when the block succeeds, and closed in any case. Only writers make the
        table: a request's key check is one read-only query."""
        if writing:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=10)
        else:
            con = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            with con:
                if writing:
                    con.execute(SCHEMA)
                yield con
        finally:
            con.close()

    def create(self, name: str, regions: list[str] | None = None) -> str:
        """A new key for `name`, scoped to `regions` (every region when empty); the only time it is shown."""
        if not NAME.match(name):
            raise ShelfcastError(
                f"invalid key name {name!r}", hint="letters, digits, '.', '_' and '-', up to 64 characters"
            )
        key = PREFIX + secrets.token_urlsafe(32)
        scope = json.dumps(sorted(set(regions))) if regions else None
        created = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        with self._connect() as con:
            try:
                con.execute("insert into api_keys values (?, ?, ?, ?)", (name, _digest(key), scope, created))
            except sqlite3.IntegrityError as error:
                raise ShelfcastError(
                    f"an API key named {name!r} exists already", hint=f"shelfcast api-key revoke {name}"
                ) from error
        return key

    def verify(self, key: str) -> ApiKey | None:
        if not key.startswith(PREFIX) or not self.path.exists():
            return None
        try:
            with self._connect(writing=False) as con:
                row = con.execute(
                    "select name, regions, created_at from api_keys where key_sha256 = ?", (_digest(key),)
                ).fetchone()
        except sqlite3.OperationalError:  # a store file without its table yet: no key is valid
            return None
        return _key(row) if row else None

    def list(self) -> list[ApiKey]:
        if not self.path.exists():
            return []
        with self._connect() as con:
            rows = con.execute("select name, regions, created_at from api_keys order by name").fetchall()
        return [_key(row) for row in rows]

    def revoke(self, name: str) -> bool:
        if not self.path.exists():
            return False
        with self._connect() as con:
            return con.execute("delete from api_keys where name = ?", (name,)).rowcount > 0


def _key(row: tuple[str, str | None, str]) -> ApiKey:
    name, regions, created = row
    return ApiKey(name, tuple(json.loads(regions)) if regions else None, created)
