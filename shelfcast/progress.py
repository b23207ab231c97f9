"""Progress for long steps: a live bar on a terminal, a log line per tenth of the work in CI and logs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def _describe(counts: dict[str, int], keys: tuple[str, ...]) -> str:
    return "  ".join(f"{key.replace('_', ' ')} {counts.get(key, 0):,}" for key in keys)


class StepProgress:
    """Call `update(done, total, counts)`; shows the counts named in `keys`."""

    def __init__(self, console: Console, label: str, keys: tuple[str, ...]) -> None:
        self.console, self.label, self.keys = console, label, keys
        self.started = time.perf_counter()
        self.next_log = 0.1
        self.bar: Progress | None = None
        self.task = None

    def __enter__(self) -> StepProgress:
        if self.console.is_terminal:
            self.bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                TextColumn("{task.fields[counts]}"),
                console=self.console,
                transient=False,
            )
            self.bar.__enter__()
            self.task = self.bar.add_task(self.label, total=None, counts="")
        return self

    def update(self, done: int, total: int, counts: dict[str, int]) -> None:
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, completed=done, total=total, counts=_describe(counts, self.keys))
            return
        if total and done / total >= self.next_log - 1e-9:
            elapsed = time.perf_counter() - self.started
            self.console.print(
                f"{self.label}: {done}/{total} ({done / total:.0%}) {elapsed:6.1f} s  "
                f"{_describe(counts, self.keys)}",
                highlight=False,
                soft_wrap=True,
            )
            while self.next_log <= done / total:
                self.next_log += 0.1

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@contextmanager
def step(console: Console, label: str, keys: tuple[str, ...] = ()) -> Iterator[StepProgress]:
    with StepProgress(console, label, keys) as progress:
        yield progress
