"""`shelfcast ui`: `dagster dev` on the definitions of this configuration, with the instance `shelfcast run`
records its runs in, so the UI shows the asset graph (dbt's lineage inside it), past runs, the schedule and
the sensor, and can launch runs itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shelfcast.ports import ensure_port_free

if TYPE_CHECKING:
    from shelfcast.config import Settings

# No usage telemetry: a pipeline does not phone home (and offline it could not). The daemon runs the
# schedule and the sensor only once they are turned on in the UI.
INSTANCE_CONFIG = "telemetry:\n  enabled: false\n"


def dagster_home(settings: Settings) -> Path:
    """The Dagster instance folder of this data dir, created with its dagster.yaml when missing."""
    home = settings.data_dir.resolve() / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.is_file():
        config.write_text(INSTANCE_CONFIG)
    return home


def ui_command(host: str, port: int) -> list[str]:
    dagster = Path(sys.executable).with_name("dagster")
    return [str(dagster), "dev", "-m", "orchestration.repository", "-h", host, "-p", str(port)]


def ui_environment(settings: Settings, config_file: Path | None) -> dict[str, str]:
    """The code location loads its definitions from the environment: pass on the configuration in effect
    (a --config flag becomes SHELFCAST_CONFIG; the data dir is made absolute for the subprocesses)."""
    env = dict(os.environ) | {
        "DAGSTER_HOME": str(dagster_home(settings)),
        "SHELFCAST_DATA_DIR": str(settings.data_dir.resolve()),
    }
    if config_file is not None:
        env["SHELFCAST_CONFIG"] = str(config_file.resolve())
    return env


def serve_ui(settings: Settings, config_file: Path | None, host: str, port: int) -> int:
    """Run `dagster dev` in the foreground until Ctrl-C or SIGTERM; its exit code.

    dagster dev stops only on an interrupt (it ignores SIGTERM), and a command started in the background by a
    shell inherits SIGINT ignored: so the interrupt is restored for it, and a SIGTERM sent to us becomes the
    Ctrl-C it waits for."""
    ensure_port_free(host, port, "the Dagster UI")
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    process = subprocess.Popen(ui_command(host, port), env=ui_environment(settings, config_file))

    def interrupt(_signum: int, _frame: object) -> None:
        process.send_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, interrupt)
    try:
        return process.wait()
    except KeyboardInterrupt:
        # dagster dev got the same Ctrl-C and is shutting down its webserver, daemon and code server
        return process.wait()
