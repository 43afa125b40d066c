"""Small dependency-free SVG charts for the report (inline, so the HTML is one self-contained file)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def line_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    *,
    band: tuple[Sequence[float | None], Sequence[float | None]] | None = None,
    y_range: tuple[float, float] | None = None,
    width: int = 640,
    height: int = 220,
    unit: str = "",
) -> str:
    """A line chart with optional shaded interval band. series = (name, values, colour)."""
    pad_l, pad_r, pad_t, pad_b = 44, 34, 12, 28
    values = [v for _, vs, _ in series for v in vs if v is not None]
    if band:
        values += [v for v in (*band[0], *band[1]) if v is not None]
    if not labels or not values:
        return '<p class="empty">No data for this chart yet.</p>'
    lo, hi = y_range or (min(values), max(values))
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    n = len(labels)

    def x(i: int) -> float:
        return pad_l + (i * (width - pad_l - pad_r) / max(n - 1, 1))

    def y(v: float) -> float:
        return pad_t + (hi - v) * (height - pad_t - pad_b) / (hi - lo)

    parts = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" class="chart">']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(f'<line x1="{pad_l}" x2="{width - pad_r}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>')
        parts.append(f'<text x="{pad_l - 6}" y="{y(v) + 4:.1f}" text-anchor="end" class="axis">{v:.0f}{escape(unit)}</text>')
    for i, label in enumerate(labels):
        parts.append(f'<text x="{x(i):.1f}" y="{height - 8}" text-anchor="middle" class="axis">{escape(label)}</text>')
    if band:
        pts = [(i, lo_v, hi_v) for i, (lo_v, hi_v) in enumerate(zip(*band, strict=True)) if lo_v is not None and hi_v is not None]
        if pts:
            upper = " ".join(f"{x(i):.1f},{y(h):.1f}" for i, _, h in pts)
            lower = " ".join(f"{x(i):.1f},{y(lv):.1f}" for i, lv, _ in reversed(pts))
            parts.append(f'<polygon points="{upper} {lower}" class="band"/>')
    for name, vs, colour in series:
        pts = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(vs) if v is not None]
        parts.append(f'<polyline points="{" ".join(pts)}" fill="none" stroke="{escape(colour)}" stroke-width="2.5"/>')
        for i, v in enumerate(vs):
            if v is not None:
                parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3.5" fill="{escape(colour)}">'
                             f"<title>{escape(name)} {escape(labels[i])}: {v:.1f}{escape(unit)}</title></circle>")
    parts.append("</svg>")
    return "".join(parts)


def bar_chart(labels: Sequence[str], values: Sequence[float], *, colour: str = "#3b6ea5", width: int = 640) -> str:
    """Horizontal bars, one per label, longest first as given."""
    if not labels:
        return '<p class="empty">No data for this chart yet.</p>'
    row, label_w = 24, 230
    height = row * len(labels) + 8
    top = max(values) or 1
    parts = [f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" class="chart">']
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        w = (width - label_w - 50) * v / top
        yy = 4 + i * row
        parts.append(f'<text x="{label_w - 8}" y="{yy + 15}" text-anchor="end" class="label">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{yy + 3}" width="{w:.1f}" height="{row - 8}" fill="{escape(colour)}" rx="2"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{yy + 15}" class="axis">{v:g}</text>')
    parts.append("</svg>")
    return "".join(parts)
