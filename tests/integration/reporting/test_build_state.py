"""Readers learn from ops.run_log whether the marts come from a finished transform, and what it left stale."""

from __future__ import annotations

import pytest

from cfm.pipeline.run_log import logged_stage
from cfm.reporting.build_state import MartsUnavailable, build_state, require_marts


def test_a_missing_mart_names_the_unfinished_transform(warehouse: str) -> None:
    with pytest.raises(
        MartsUnavailable, match=r"marts\.rpt_kpi_periods not built: no transform has built them yet"
    ):
        require_marts(warehouse, ["marts.rpt_kpi_periods"])
    with pytest.raises(RuntimeError), logged_stage(warehouse, "run-1", "transform"):
        raise RuntimeError("killed")  # as a failed build leaves it
    with pytest.raises(MartsUnavailable, match=r"the transform \(run run-1\) has not finished building them"):
        require_marts(warehouse, ["marts.rpt_kpi_periods"])


def test_a_partly_failed_transform_names_the_stale_marts_and_the_last_complete_build(warehouse: str) -> None:
    with logged_stage(warehouse, "good-run", "transform"):
        pass
    assert build_state(warehouse).note() is None
    with pytest.raises(RuntimeError), logged_stage(warehouse, "bad-run", "transform") as counts:
        counts.update(failed_models=["star_daily"], skipped_models=["cx_metrics_monthly", "rpt_kpi_periods"])
        raise RuntimeError("dbt build failed: star_daily: range test")
    note = build_state(warehouse).note()
    assert note is not None
    assert "run bad-run" in note and "failed (RuntimeError: dbt build failed: star_daily: range test)" in note
    assert "Stale marts, not rebuilt: star_daily, cx_metrics_monthly, rpt_kpi_periods." in note
    assert "The last complete build is run good-run" in note
