"""The stage list: what `cfm run` loops over and what the DAG tasks call by name."""

from __future__ import annotations

import contextlib

import pytest

from cfm.pipeline import run as run_module
from cfm.pipeline.stage import STAGES, Stage, StageContext, stage


def test_every_stage_resolves_to_a_run_function_in_its_own_module() -> None:
    names = [s.name for s in STAGES]
    assert len(names) == len(set(names))
    for s in STAGES:
        assert callable(s.run), s.name
        assert s.run.__module__ == f"cfm.pipeline.{s.module}"


def test_the_run_order_is_the_pipeline_order() -> None:
    assert [s.name for s in STAGES if s.in_run] == ["prepare", "ingest", "staging", "validate", "enrich", "transform", "loop", "report"]


def test_an_unknown_stage_is_named_in_the_error() -> None:
    with pytest.raises(KeyError, match="unknown stage 'nope'"):
        stage("nope")


def test_cfm_run_is_a_loop_over_the_stages(monkeypatch) -> None:
    calls: list[str] = []

    def fake(name: str):
        def run(ctx: StageContext) -> dict:
            calls.append(name)
            return {"ingest": {"sources": {"a": {"received": 2, "quarantined": 1, "inserted": 2, "updated": 0}}, "failed": {}},
                    "validate": {"quarantined": 1}, "report": {"path": "x.html"}}.get(name, {})
        return run

    stages = tuple(Stage(s.name, s.module, s.in_run) for s in STAGES)
    monkeypatch.setattr(run_module, "STAGES", stages)
    monkeypatch.setattr(Stage, "run", property(lambda self: fake(self.name)))
    monkeypatch.setattr(run_module, "stage_lock", lambda url, stage: contextlib.nullcontext())  # no database here
    summary = run_module.run_pipeline("postgresql://unused", {}, "r1", report=False)
    assert calls == ["prepare", "ingest", "staging", "validate", "enrich", "transform", "loop"]
    assert summary.read == 3 and summary.loaded == 2 and summary.quarantined == 2 and summary.report_path is None
    assert set(summary.stage_seconds) == set(calls)
