"""Plain-language sentences from the report marts' figures (no arithmetic: the marts give the
change, its interval and whether it is significant; this only chooses the words)."""

from __future__ import annotations

from datetime import date
from typing import Any

Row = dict[str, Any]

METRIC_WORDS = {"nps": "NPS", "csat": "CSAT", "ces": "ease of effort (CES, 0-100)", "negative_share": "negative feedback"}
UNITS = {"nps": "", "csat": "%", "ces": "", "negative_share": "%"}


def period_name(period: str) -> str:
    """2026-10 -> October 2026."""
    year, month = period.split("-")[:2]
    return date(int(year), int(month), 1).strftime("%B %Y")


def short_period(period: str) -> str:
    """2026-10 -> Oct 26 (chart ticks)."""
    year, month = period.split("-")[:2]
    return date(int(year), int(month), 1).strftime("%b %y")


def num(value: Any, unit: str = "") -> str:
    """A figure as printed: whole numbers, a real minus sign."""
    if value is None:
        return "–"
    return f"{float(value):.0f}".replace("-", "−") + unit


def signed(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    v = float(value)
    return ("+" if v > 0 else "−" if v < 0 else "±") + f"{abs(v):.0f}" + unit


def interval_sentence(kpi: Row) -> str:
    """'We are 95% sure NPS is between −28 and −5.'"""
    unit = UNITS[kpi["metric"]]
    label = METRIC_WORDS[kpi["metric"]]
    return f"We are 95% sure {label} is between {num(kpi['ci_low'], unit)} and {num(kpi['ci_high'], unit)}."


def change_phrase(kpi: Row) -> str:
    """'down 9 points from September, a significant drop' / 'up 2 points, within normal variation'."""
    if kpi.get("previous_value") is None:
        return "no previous period to compare with"
    change = float(kpi["change"])
    points = "point" if round(abs(change)) == 1 else "points"
    direction = "up" if change > 0 else "down" if change < 0 else "unchanged"
    prev = period_name(str(kpi["previous_period_start"])[:7]).split()[0]
    base = f"{direction} {abs(change):.0f} {points} from {prev}" if direction != "unchanged" else f"unchanged from {prev}"
    if kpi["is_significant"]:
        return base + (", a significant rise" if change > 0 else ", a significant drop")
    return base + ", within normal variation (not significant)"


def headline(kpis: dict[str, Row], movers: list[Row], period: str, stale_sources: list[Row]) -> list[str]:
    """Two or three sentences: the NPS story, the other KPIs, and what moved (or that nothing did)."""
    sentences: list[str] = []
    nps = kpis.get("nps")
    if nps and nps["value"] is not None:
        sentences.append(f"NPS was {num(nps['value'])} in {period_name(period)} from {nps['responses']} responses, "
                         f"{change_phrase(nps)}.")
    others = [k for k in (kpis.get("csat"), kpis.get("ces")) if k and k["value"] is not None]
    if others:
        parts = []
        for k in others:
            name = "CSAT" if k["metric"] == "csat" else "ease of effort (CES, 0-100)"
            if k.get("previous_value") is None:
                note = "no previous period"
            else:
                note = f"{signed(k['change'], ' pts')}, {'significant' if k['is_significant'] else 'not significant'}"
            parts.append(f"{name} was {num(k['value'], UNITS[k['metric']])} ({note})")
        sentences.append(" and ".join(parts) + ".")
    worse = [m for m in movers if m["is_worse"]]
    if worse:
        m = worse[0]
        sentences.append(f"The clearest problem: {mover_text(m)}.")
    elif movers:
        sentences.append(f"The clearest improvement: {mover_text(movers[0])}.")
    else:
        sentences.append("No topic or channel moved significantly against the previous period.")
    if stale_sources and len(sentences) < 3:
        sentences.append(f"Data from {', '.join(s['source'] for s in stale_sources)} is late.")
    return sentences[:3]


def mover_text(m: Row) -> str:
    """'negative feedback about “late delivery” rose from 20% to 45%' (a rpt_cell_shifts row)."""
    unit = UNITS[m["metric"]]
    what = METRIC_WORDS[m["metric"]]
    if m["cell_type"] == "topic":
        where = f"about “{m['topic_label']}”"
    elif m["cell_type"] == "segment":
        where = f"in the {m['segment']} channel"
    else:
        where = f"about “{m['topic_label']}” in the {m['segment']} channel"
    verb = "rose" if float(m["change"]) > 0 else "fell"
    return f"{what} {where} {verb} from {num(m['previous_value'], unit)} to {num(m['value'], unit)}"
