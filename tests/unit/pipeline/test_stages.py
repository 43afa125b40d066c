"""The stage list: what `cfm run` loops over and what the DAG tasks call by name."""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

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

    stages = tuple(Stage(s.name, s.module, s.in_run, s.starts_after) for s in STAGES)
    monkeypatch.setattr(run_module, "STAGES", stages)
    monkeypatch.setattr(Stage, "run", property(lambda self: fake(self.name)))
    monkeypatch.setattr(run_module, "_executor", lambda: ThreadPoolExecutor(1))  # the fakes live in this process
    monkeypatch.setattr(run_module, "stage_lock", lambda url, stage: contextlib.nullcontext())  # no database here
    summary = run_module.run_pipeline("postgresql://unused", {}, "r1", report=False)
    assert sorted(calls[1:3]) == ["ingest", "staging"]  # staging runs beside ingest
    assert calls[:1] + calls[3:] == ["prepare", "validate", "enrich", "transform", "loop"]
    assert summary.read == 3 and summary.loaded == 2 and summary.quarantined == 2 and summary.report_path is None
    assert set(summary.stage_seconds) == set(calls)


def _timeline_stages(monkeypatch, staging_fails: bool = False) -> list[str]:
    """Fake stages that log when they start and end; ingest waits (up to 5 s) for staging to start."""
    events: list[str] = []
    staging_started = threading.Event()

    def fake(name: str):
        def run(ctx: StageContext) -> dict:
            events.append(f"{name} start")
            if name == "staging":
                events.append(f"staging early={ctx.early}")
                staging_started.set()
                time.sleep(0.3)
                if staging_fails:
                    raise RuntimeError("dbt run failed")
            if name == "ingest":
                events.append("ingest saw staging" if staging_started.wait(5) else "ingest alone")
            events.append(f"{name} end")
            return {}
        return run

    monkeypatch.setattr(run_module, "STAGES", STAGES)
    monkeypatch.setattr(Stage, "run", property(lambda self: fake(self.name)))
    monkeypatch.setattr(run_module, "_executor", lambda: ThreadPoolExecutor(1))
    monkeypatch.setattr(run_module, "stage_lock", lambda url, stage: contextlib.nullcontext())
    return events


def test_staging_runs_beside_ingest_and_validation_waits_for_it(monkeypatch) -> None:
    events = _timeline_stages(monkeypatch)
    summary = run_module.run_pipeline("postgresql://unused", {}, "r1", report=False)
    assert events.index("staging start") > events.index("prepare end")  # the raw tables exist first
    assert "ingest saw staging" in events  # started before ingest finished
    assert "staging early=True" in events  # told so: its data tests are left to the transform
    assert events.index("validate start") > events.index("staging end")
    assert summary.stage_seconds["staging"] >= 0.3 and summary.wall_seconds > 0


def test_a_failing_staging_step_stops_the_run_before_validation(monkeypatch) -> None:
    events = _timeline_stages(monkeypatch, staging_fails=True)
    with pytest.raises(RuntimeError, match="dbt run failed"):
        run_module.run_pipeline("postgresql://unused", {}, "r1", report=False)
    assert "ingest end" in events and "validate start" not in events


def test_a_stage_started_early_dies_with_a_killed_run(tmp_path) -> None:
    """A killed `cfm run` leaves no stage process behind (it would hold its locks against the re-run)."""
    import os
    import subprocess
    import sys

    script = tmp_path / "killed_run.py"
    script.write_text(
        "import os, signal, time\n"
        "from cfm.pipeline import run\n"
        "if __name__ == '__main__':\n"
        "    pool = run._executor()\n"
        "    pool.submit(time.sleep, 60)\n"
        "    time.sleep(3)\n"
        "    print(*[p.pid for p in pool._processes.values()], flush=True)\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert proc.returncode == -9
    (child,) = [int(p) for p in proc.stdout.split()]
    for _ in range(50):
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(child, 9)
    raise AssertionError(f"stage process {child} outlived the killed run")
