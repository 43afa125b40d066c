"""cfm.yml's small-cell rule and report time zone reach dbt as vars, and a bad value fails before dbt runs."""

from __future__ import annotations

import pytest

from cfm.config import DEFAULTS
from cfm.pipeline.transform import dbt_vars


def test_defaults_flag_small_cells_under_30() -> None:
    assert dbt_vars(DEFAULTS) == {"min_responses": 30, "small_cells": "flag", "report_timezone": "UTC"}


def test_configured_values_are_passed() -> None:
    assert dbt_vars({"report": {"min_responses": 50, "small_cells": "suppress"}}) == {
        "min_responses": 50, "small_cells": "suppress", "report_timezone": "UTC"}


def test_the_report_time_zone_is_the_reports_else_the_top_level_one() -> None:
    assert dbt_vars({"timezone": "Asia/Tokyo", "report": {}})["report_timezone"] == "Asia/Tokyo"
    assert dbt_vars({"timezone": "Asia/Tokyo", "report": {"timezone": "America/New_York"}})["report_timezone"] == (
        "America/New_York")


@pytest.mark.parametrize(("report", "field"), [
    ({"min_responses": 0}, "min_responses"),
    ({"min_responses": "30"}, "min_responses"),
    ({"min_responses": True}, "min_responses"),
    ({"small_cells": "hide"}, "small_cells"),
    ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
])
def test_bad_values_name_the_field(report, field) -> None:
    with pytest.raises(ValueError, match=f"report.{field}"):
        dbt_vars({"report": report})
