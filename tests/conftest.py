"""Shared fixtures: data sets are generated once per test session and only read by tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthetic.generate import GenerateOptions, generate
from synthetic.scales import ScaleName


@pytest.fixture(scope="session")
def xs_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The xs retailer, seed 42, default dirt."""
    out = tmp_path_factory.mktemp("xs") / "sources"
    generate(GenerateOptions(out=out, scale=ScaleName.xs, seed=42))
    return out


@pytest.fixture(scope="session")
def clean_xs_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The xs retailer, seed 42, without dirt: for realism and balance checks."""
    out = tmp_path_factory.mktemp("xs_clean") / "sources"
    generate(GenerateOptions(out=out, scale=ScaleName.xs, seed=42, dirt_rate=0.0))
    return out
