from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from cfm.loop.routing import assign, load_routing
from cfm.loop.settings import DEFAULT_ROUTING, Sla
from cfm.loop.sla import BusinessCalendar


def cal(**kw) -> BusinessCalendar:
    return BusinessCalendar(Sla(**kw))


def test_business_hours_skip_nights_and_weekends() -> None:
    c = cal(timezone="UTC")
    friday_4pm = datetime(2026, 12, 4, 16, tzinfo=UTC)  # a Friday
    assert c.add_business_hours(friday_4pm, 2) == datetime(2026, 12, 7, 10, tzinfo=UTC)  # Monday 10:00
    saturday = datetime(2026, 12, 5, 12, tzinfo=UTC)
    assert c.add_business_hours(saturday, 1) == datetime(2026, 12, 7, 10, tzinfo=UTC)
    assert c.add_business_hours(datetime(2026, 12, 7, 9, tzinfo=UTC), 8) == datetime(2026, 12, 7, 17, tzinfo=UTC)
    assert c.add_business_hours(datetime(2026, 12, 7, 9, tzinfo=UTC), 8.5) == datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


def test_time_zone_and_listed_holidays() -> None:
    c = cal(timezone="Asia/Dubai", holidays=[date(2026, 12, 7)])
    # 16:00 Dubai on Friday 4 Dec = 12:00 UTC; Monday 7 Dec is a listed holiday -> Tuesday 10:00 Dubai = 06:00 UTC.
    assert c.add_business_hours(datetime(2026, 12, 4, 12, tzinfo=UTC), 2) == datetime(2026, 12, 8, 6, tzinfo=UTC)


def test_country_holidays_come_from_the_holidays_package() -> None:
    c = cal(timezone="Asia/Shanghai", holiday_country="CN")
    assert not c.is_working_day(date(2026, 10, 1))  # National Day
    assert c.is_working_day(date(2026, 10, 9))
    assert cal(timezone="Asia/Dubai", holiday_country="AE").is_working_day(date(2026, 12, 2)) is False  # UAE National Day


def test_due_times_per_priority_and_aware_start_required() -> None:
    c = cal(timezone="UTC")
    first, resolution = c.due_times(datetime(2026, 12, 7, 9, tzinfo=UTC), "P1")
    assert first == datetime(2026, 12, 7, 11, tzinfo=UTC)
    assert resolution == datetime(2026, 12, 8, 17, tzinfo=UTC)  # 16 business hours
    with pytest.raises(ValueError, match="timezone-aware"):
        c.add_business_hours(datetime(2026, 12, 7, 9), 1)


def test_routing_table_matches_in_order_with_round_robin_load_and_fallback() -> None:
    table = load_routing(DEFAULT_ROUTING)
    a1 = assign(table, {"category": "billing", "channel": "email", "language": "zh"}, assigned_in_queue={}, open_by_owner={})
    assert (a1.department, a1.queue, a1.owner, a1.method) == ("finance", "billing", "farah@acme-shop.example", "round_robin")
    a2 = assign(table, {"category": "billing"}, assigned_in_queue={"billing": 1}, open_by_owner={})
    assert a2.owner == "li.wei@acme-shop.example"
    a3 = assign(table, {"category": "delivery"}, assigned_in_queue={},
                open_by_owner={"omar@acme-shop.example": 3, "zhang.min@acme-shop.example": 1})
    assert (a3.owner, a3.method) == ("zhang.min@acme-shop.example", "load")
    assert assign(table, {"category": "other", "channel": "review"}, assigned_in_queue={}, open_by_owner={}).queue == "public_reviews"
    assert assign(table, {"category": "other", "language": "ar"}, assigned_in_queue={}, open_by_owner={}).queue == "arabic_desk"
    fb = assign(table, {"category": "other", "channel": "survey", "language": "en"}, assigned_in_queue={}, open_by_owner={})
    assert (fb.owner, fb.method) == ("cx-lead@acme-shop.example", "fallback")


def test_a_bad_routing_table_names_the_file_and_the_key(tmp_path: Path) -> None:
    bad = tmp_path / "routing.yml"
    bad.write_text("fallback: {department: a, queue: b, owner: c}\nroutes:\n  - match: {colour: red}\n    department: x\n    queue: y\n")
    with pytest.raises(ValueError, match=r"(?s)routing.yml.*routes.0.match.*unknown match key 'colour'"):
        load_routing(bad)
