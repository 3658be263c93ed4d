"""Rules compile lazily, except when Lambda initialises ahead of traffic."""

from __future__ import annotations

import pytest

from protect_lambda import inspection
from protect_lambda.config import GuardConfig


def _compiled(guard: object) -> list[bool]:
    engine = guard.engine  # type: ignore[attr-defined]
    return [c._regex is not None for group in engine._groups.values() for c in group.compiled]


@pytest.mark.parametrize("initialization", ["provisioned-concurrency", "snap-start"])
def test_prewarmed_environments_compile_every_rule_at_init(
    initialization: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(inspection.INITIALIZATION_TYPE_ENV, initialization)
    # custom rules give a fresh engine, so nothing compiled by other tests leaks in
    config = GuardConfig(custom_rules=({"id": "custom-init", "category": "custom", "direction": "inbound",
                                        "severity": "low", "description": "d", "pattern": "zz9zz"},))
    compiled = _compiled(inspection.build_guard(config))
    assert compiled and all(compiled)


def test_on_demand_environments_compile_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(inspection.INITIALIZATION_TYPE_ENV, "on-demand")
    config = GuardConfig(custom_rules=({"id": "custom-lazy", "category": "custom", "direction": "inbound",
                                        "severity": "low", "description": "d", "pattern": "zz8zz"},))
    compiled = _compiled(inspection.build_guard(config))
    assert compiled and not any(compiled)
