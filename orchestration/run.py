"""`shelfcast run`: the whole asset graph materialised in-process, in dependency order, with each step's
status and time. A failed step stops the steps downstream of it; the report names it and why. Runs are
recorded in `<data_dir>/dagster` (the Dagster UI started with DAGSTER_HOME there shows them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shelfcast.config import Settings


@dataclass
class StepOutcome:
    step: str
    status: str  # success, failure, skipped
    seconds: float
    error: str | None = None


@dataclass
class PipelineRun:
    run_id: str
    success: bool
    steps: list[StepOutcome] = field(default_factory=list)
    materialized: list[str] = field(default_factory=list)  # asset keys, as "a/b"

    @property
    def failed(self) -> list[StepOutcome]:
        return [s for s in self.steps if s.status == "failure"]


def run_pipeline(settings: Settings, log: Callable[[str], None] = print) -> PipelineRun:
    from dagster import DagsterEventType, DagsterInstance, materialize

    from orchestration.definitions import build_definitions
    from orchestration.ui import dagster_home

    definitions = build_definitions(settings)
    # the instance `shelfcast ui` shows; its dagster.yaml turns telemetry off
    instance = DagsterInstance.local_temp(str(dagster_home(settings)))
    assets = list(definitions.assets or [])
    log(f"materialising {sum(len(list(a.keys)) for a in assets)} assets in {len(assets)} steps")
    result = materialize(assets, instance=instance, resources=definitions.resources, raise_on_error=False)
    starts: dict[str, float] = {}
    run = PipelineRun(result.run_id, result.success)
    for entry in instance.all_logs(result.run_id):
        event, step = entry.dagster_event, entry.step_key
        if event is None or step is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            starts[step] = entry.timestamp
        elif event.event_type == DagsterEventType.STEP_SUCCESS:
            run.steps.append(
                StepOutcome(step, "success", entry.timestamp - starts.get(step, entry.timestamp))
            )
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            message = error.message.strip().splitlines()[-1] if error else "failed"
            seconds = entry.timestamp - starts.get(step, entry.timestamp)
            run.steps.append(StepOutcome(step, "failure", seconds, message))
        elif event.event_type == DagsterEventType.STEP_SKIPPED:
            run.steps.append(StepOutcome(step, "skipped", 0.0))
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            run.materialized.append(event.asset_key.to_user_string())
    return run
