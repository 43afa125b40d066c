"""An independent reading of the bundled sample files: which rows are valid, and their metrics.

Written from the README's file-drop rules and design.md's metric definitions, without any
code from the pipeline, so that the marts can be checked against it.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

CHANNELS = {"survey", "email", "review", "chat", "phone", "in_person", "social", "other"}
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "star": (1, 5)}
NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


def read_rows(drop: Path) -> list[dict]:
    rows = []
    for path in sorted(drop.rglob("*")):
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as fh:
                rows.extend(csv.DictReader(fh))
        elif path.suffix == ".jsonl":
            rows.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return rows


def _timestamp(value: str) -> datetime | None:
    if not re.match(r"^\d{4}-\d{2}-\d{2}", value or ""):
        return None
    try:
        ts = datetime.fromisoformat(value)
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def valid_records(drop: Path) -> dict[str, dict]:
    """id -> cleaned record, for rows every rule accepts (the last row wins for a repeated id)."""
    out: dict[str, dict] = {}
    for row in read_rows(drop):
        rid = str(row.get("id") or "").strip()
        if not rid:
            continue
        ts = _timestamp(str(row.get("submitted_at") or ""))
        channel = (str(row.get("channel") or "").strip().lower()) or "other"
        rtype = str(row.get("rating_type") or "").strip().lower() or None
        raw_value = str(row.get("rating_value") if row.get("rating_value") is not None else "").strip()
        text = row.get("text") or None
        ok = ts is not None and channel in CHANNELS and (rtype is None or rtype in SCALES)
        value = float(raw_value) if NUMBER.match(raw_value) else None
        if raw_value and value is None:
            ok = False
        if rtype and value is None:
            ok = False
        if rtype in SCALES and value is not None:
            lo, hi = SCALES[rtype]
            ok = ok and lo <= value <= hi
        if rtype is None and not text:
            ok = False
        if ok:
            out[rid] = {"day": ts.astimezone(UTC).date(), "channel": channel, "rating_type": rtype, "value": value}
    return out


def nps_by_day_channel(records: dict[str, dict]) -> dict[tuple, tuple[int, int, int, float]]:
    acc: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in records.values():
        if r["rating_type"] == "nps":
            a = acc[(r["day"], r["channel"])]
            a[0] += 1
            a[1] += r["value"] >= 9
            a[2] += r["value"] <= 6
    return {k: (n, p, d, round(100.0 * (p - d) / n, 1)) for k, (n, p, d) in acc.items()}


def csat_by_day_channel(records: dict[str, dict]) -> dict[tuple, tuple[int, int, float]]:
    acc: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for r in records.values():
        if r["rating_type"] == "csat":
            a = acc[(r["day"], r["channel"])]
            a[0] += 1
            a[1] += r["value"] >= 4
    return {k: (n, s, round(100.0 * s / n, 1)) for k, (n, s) in acc.items()}


def ces_by_day_channel(records: dict[str, dict]) -> dict[tuple, tuple[int, float]]:
    acc: dict[tuple, list[float]] = defaultdict(list)
    for r in records.values():
        if r["rating_type"] == "ces":
            acc[(r["day"], r["channel"])].append(r["value"])
    return {k: (len(v), round(sum(v) / len(v), 2)) for k, v in acc.items()}


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE = re.compile(r"[+٠-٩0-9][0-9٠-٩ ]{9,}[0-9٠-٩]")
CARD = re.compile(r"\b(?:\d[ -]?){15}\d\b")


def pii_in_texts(drop: Path) -> set[str]:
    found: set[str] = set()
    for row in read_rows(drop):
        text = str(row.get("text") or "")
        for pattern in (EMAIL, PHONE, CARD):
            found.update(m.group(0).strip().rstrip(".。") for m in pattern.finditer(text))
        if row.get("customer_email"):
            found.add(str(row["customer_email"]))
    return found
