"""Fixtures of the report tests: a hand-built plan and the golden plan."""

from __future__ import annotations

import pytest
from planbuild import GOLDEN_PLAN, make_plan

from capplan.results import PlanResult


@pytest.fixture
def tiny_plan() -> PlanResult:
    return make_plan()


@pytest.fixture(scope="session")
def golden_plan() -> PlanResult:
    return PlanResult.model_validate_json(GOLDEN_PLAN.read_text(encoding="utf-8"))
