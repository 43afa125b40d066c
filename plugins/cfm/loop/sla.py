"""SLA due times in business hours: a time zone, working hours, weekdays and holidays from config.

Holidays are the `holidays` package's calendar for the configured country (and subdivision)
plus the extra dates listed in config.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from cfm.loop.settings import Sla


class BusinessCalendar:
    def __init__(self, sla: Sla):
        self.sla = sla
        self.tz = ZoneInfo(sla.timezone or "UTC")
        self.hours = sla.business_hours
        if self.hours.end <= self.hours.start:
            raise ValueError("loop.sla.business_hours: end must be after start")

    @cached_property
    def _country(self):  # type: ignore[no-untyped-def]
        if not self.sla.holiday_country:
            return None
        import holidays

        return holidays.country_holidays(self.sla.holiday_country, subdiv=self.sla.holiday_subdivision)

    def is_working_day(self, day: date) -> bool:
        if day.weekday() not in self.hours.weekdays or day in self.sla.holidays:
            return False
        return not (self._country is not None and day in self._country)

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The instant `hours` business hours after `start` (an aware datetime); returned in UTC."""
        if start.tzinfo is None:
            raise ValueError("SLA start times must be timezone-aware")
        remaining = timedelta(hours=hours)
        local = start.astimezone(self.tz)
        day = local.date()
        for _ in range(3660):  # ten years of calendar days: a misconfigured calendar fails, not hangs
            if self.is_working_day(day):
                open_at = datetime.combine(day, self.hours.start, self.tz)
                close_at = datetime.combine(day, self.hours.end, self.tz)
                begin = max(open_at, local)
                if begin < close_at:
                    available = close_at - begin
                    if remaining <= available:
                        return (begin + remaining).astimezone(ZoneInfo("UTC"))
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("loop.sla: no business hours found within ten years (check weekdays and holidays)")

    def due_times(self, opened_at: datetime, priority: str) -> tuple[datetime, datetime]:
        """First-response and resolution due times for a case of `priority` opened at `opened_at`."""
        target = self.sla.targets[priority]
        return (self.add_business_hours(opened_at, target.first_response_hours),
                self.add_business_hours(opened_at, target.resolution_hours))
