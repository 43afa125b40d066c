"""Report periods are months in the configured report time zone: a response one second before
local midnight on the 1st belongs to the month before, whatever its UTC date."""

from __future__ import annotations

import json
import os
from datetime import date

import pytest
from dbt.cli.main import dbtRunner

from cfm.pipeline.transform import DBT_DIR, dbt_env, dbt_vars

# America/New_York is UTC-4 on 1 October 2026: 03:59:59 UTC is 23:59:59 on 30 September there.
BOUNDARY = """
select at, {{ local_day('at') }} as local_day,
       {{ period_start(var('report_period_grain'), local_day('at')) }} as period_start
from (values (timestamptz '2026-10-01 03:59:59+00'), (timestamptz '2026-10-01 04:00:00+00')) as t (at)
order by at
"""


def _periods(url: str, config: dict) -> list[tuple[date, date]]:
    os.environ.update(dbt_env(url))
    result = dbtRunner().invoke([
        "show", "--inline", BOUNDARY, "--limit", "10", "--vars", json.dumps(dbt_vars(config)),
        "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
    ])
    assert result.success, result.exception
    return [(row["local_day"], row["period_start"]) for row in result.result.results[0].agate_table.rows]


@pytest.mark.parametrize(("config", "expected"), [
    ({"timezone": "UTC", "report": {}}, [(date(2026, 10, 1), date(2026, 10, 1))] * 2),
    ({"timezone": "UTC", "report": {"timezone": "America/New_York"}},
     [(date(2026, 9, 30), date(2026, 9, 1)), (date(2026, 10, 1), date(2026, 10, 1))]),
    ({"timezone": "Asia/Tokyo", "report": {}}, [(date(2026, 10, 1), date(2026, 10, 1))] * 2),
])
def test_report_months_are_cut_at_local_midnight(warehouse, config, expected) -> None:
    assert _periods(warehouse, config) == expected
