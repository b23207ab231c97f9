"""The Dockerfile and compose.yaml cannot be built here (no Docker engine), so they are checked against the
code they run: every command and option exists, every setting is one the configuration accepts with a valid
value, the install is the Makefile's, every file copied or run exists, ports and images are pinned and
consistent. The AWS guide's configuration keys are checked against the code the same way."""

from __future__ import annotations

import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from dockerfile_parse import DockerfileParser

from shelfcast.cli import app
from shelfcast.config import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
# ${NAME}, ${NAME:-default}, ${NAME:?error}, as compose interpolates them
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


def example_env() -> dict[str, str]:
    lines = (ROOT / "deploy" / "example.env").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name.strip(): value.strip() for name, value in pairs}


def interpolate(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name, kind, argument = match.groups()
        if name in values:
            return values[name]
        if kind == "-":
            return argument
        raise AssertionError(f"compose.yaml needs ${{{name}}}, which deploy/example.env does not set")

    return VARIABLE.sub(replace, text)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(interpolate((ROOT / "compose.yaml").read_text(), example_env()))


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    return DockerfileParser(str(ROOT / "Dockerfile"))


def stages(dockerfile: DockerfileParser) -> list[str]:
    froms = instructions(dockerfile, "FROM")
    return [value.split()[-1] for value in froms if " AS " in value]


def instructions(dockerfile: DockerfileParser, kind: str) -> list[str]:
    return [i["value"] for i in dockerfile.structure if i["instruction"] == kind]


def parse_shelfcast(args: list[str]) -> None:
    """Parse `shelfcast <command> [<subcommand>] options…` as the CLI would (the commands and options must
    exist, values must convert), without running it."""
    command = typer.main.get_command(app)
    context = command.make_context("shelfcast", [], resilient_parsing=True)
    rest = list(args)
    while hasattr(command, "get_command"):  # a group: the next word names one of its commands
        name, *rest = rest
        command = command.get_command(context, name)
        assert command is not None, f"shelfcast has no command {name!r} ({' '.join(args)})"
        if hasattr(command, "get_command"):
            context = command.make_context(name, [], parent=context, resilient_parsing=True)
    command.make_context(command.name, rest, parent=context)


def test_every_service_builds_a_stage_of_the_dockerfile_or_uses_a_pinned_image(compose, dockerfile) -> None:
    for name, service in compose["services"].items():
        if "build" in service:
            assert service["build"]["target"] in stages(dockerfile), name
            assert service["build"]["context"] == "."
        else:
            image = service["image"]
            assert ":" in image and not image.endswith(":latest"), f"{name}: pin {image}"


def test_the_image_installs_as_the_makefile_does(dockerfile) -> None:
    makefile = (ROOT / "Makefile").read_text()
    stamp = re.search(r"^STAMP := \$\(VENV\)/(\S+)", makefile, re.M)
    venv = re.search(r"^VENV := (\S+)", makefile, re.M)
    assert stamp and venv
    install_target = f"{venv.group(1)}/{stamp.group(1)}"
    runs = " ".join(instructions(dockerfile, "RUN"))
    assert f"make {install_target}" in runs and "scripts/system-deps.sh" in runs
    assert "pip install" not in runs, "installs go through the Makefile's uv and lock"
    # the Python of the image is the one the lock is compiled for
    lock_python = re.search(r"--python-version (\S+)", makefile)
    base = instructions(dockerfile, "FROM")[0].split()[0]  # the later stages build on this one
    assert lock_python and base.startswith(f"python:{lock_python.group(1)}-")
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == f">={lock_python.group(1)}"


def test_every_file_the_dockerfile_copies_exists_and_is_not_ignored(dockerfile) -> None:
    ignored = [
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line and line[0] != "#"
    ]
    for value in instructions(dockerfile, "COPY"):
        *sources, _destination = shlex.split(value)
        for source in sources:
            if source == ".":
                continue
            assert (ROOT / source).exists(), source
            assert not any(Path(source).match(pattern) for pattern in ignored), source
    for needed in ("Makefile", "requirements.lock", "dbt_project", "profiles.example.yml"):
        assert needed not in ignored


def test_every_command_a_service_runs_exists(compose) -> None:
    ran = []
    for name, service in compose["services"].items():
        command = service.get("command")
        if command is None or "build" not in service:
            continue
        if command[0] == "shelfcast":
            parse_shelfcast(command[1:])
        elif command[0] == "python":
            assert (ROOT / command[1]).is_file(), f"{name}: {command[1]}"
        else:
            script = ROOT / command[0]
            assert script.is_file() and os.access(script, os.X_OK), f"{name}: {command[0]}"
            for line in script.read_text().splitlines():
                for found in re.finditer(r"(?:^|\s|\|\| )shelfcast ([a-z][\w-]*)", line):
                    parse_shelfcast([found.group(1)])
                    ran.append(found.group(1))
    assert {"generate", "run"} <= set(ran), "the pipeline service generates and runs the graph"


def test_the_environment_is_a_valid_configuration(compose, monkeypatch) -> None:
    for name in [n for n in os.environ if n.startswith("SHELFCAST_")]:
        monkeypatch.delenv(name)
    environment = compose["x-shelfcast"]["environment"]
    for key, value in environment.items():
        monkeypatch.setenv(key, str(value))
    settings = load_settings()  # unknown SHELFCAST_* variables and bad values are errors
    assert settings.lake.startswith("s3a://")
    assert settings.warehouse_target.value == "postgres"
    assert settings.spark_conf["spark.hadoop.fs.s3a.endpoint"] == environment["AWS_ENDPOINT_URL"]
    # what the dbt profile's postgres output and the API's connection read
    profile = (ROOT / "profiles.example.yml").read_text().split("    postgres:")[1].split("\n\n")[0]
    for variable in re.findall(r"env_var\('(\w+)'", profile):
        assert variable in environment, variable
    for service in compose["services"].values():
        if "build" in service:
            assert service["environment"].items() >= environment.items()
            assert service["volumes"] == ["shelfcast-data:/data"]


def test_ports_are_published_on_localhost_and_match_what_listens(compose, dockerfile) -> None:
    exposed = {int(p) for value in instructions(dockerfile, "EXPOSE") for p in value.split()}
    for name, service in compose["services"].items():
        for mapping in service.get("ports", []):
            host, host_port, container_port = mapping.split(":")
            assert host == "127.0.0.1", f"{name} publishes {mapping} beyond this host"
            command = service["command"]
            assert command[command.index("--port") + 1] == container_port == host_port
            assert int(container_port) in exposed
            assert command[command.index("--host") + 1] == "0.0.0.0"  # inside the container's network


def test_dependencies_and_volumes_are_declared(compose) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition["condition"] == "service_healthy":
                assert "healthcheck" in services[dependency], dependency
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):  # a file of this repository mounted into the container
                assert (ROOT / source).is_file(), f"{name}: {volume}"
            else:
                assert source in compose["volumes"], f"{name}: {volume}"


def test_the_aws_guide_names_only_configuration_keys_the_code_reads() -> None:
    guide = (ROOT / "docs" / "deploy-aws.md").read_text()
    fields = set(Settings.model_fields)
    named = set(re.findall(r"SHELFCAST_([A-Z_]+)", guide)) - {"CONFIG"}
    assert named, "the guide names the variables"
    assert {n.lower() for n in named} <= fields, {n for n in named if n.lower() not in fields}
    # keys of the shelfcast.toml examples
    for block in re.findall(r"```toml\n(.*?)```", guide, re.S):
        parsed = tomllib.loads(block)
        assert set(parsed) - {"spark_conf"} <= fields, set(parsed) - fields
    # the dbt targets and their environment variables are the profile's
    profile = (ROOT / "profiles.example.yml").read_text()
    named = set(re.findall(r"\b(REDSHIFT_[A-Z]+|PG[A-Z]+|SPARK_THRIFT_[A-Z]+|DBT_ENV_SECRET_\w+)\b", guide))
    assert {"REDSHIFT_HOST", "PGHOST", "DBT_ENV_SECRET_REDSHIFT_PASSWORD"} <= named
    for variable in named:
        assert re.search(rf"env_var\('{variable}'", profile), f"profiles.example.yml does not read {variable}"
