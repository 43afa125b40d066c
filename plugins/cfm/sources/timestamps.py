"""Values every source parses the same way: timestamps to aware UTC, language tags."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


def parse_utc(value: Any) -> datetime | None:
    """ISO 8601 / RFC 3339 (`Z` or an offset, up to 9 fractional digits) as aware UTC.

    A value without an offset is read as UTC; anything missing or unparseable gives None.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def utc_z(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 UTC with a `Z`."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value else None


def primary_language(value: object) -> str | None:
    """The primary language subtag, lower-case ("zh-CN" -> "zh"), or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().lower().replace("_", "-").split("-")[0]
