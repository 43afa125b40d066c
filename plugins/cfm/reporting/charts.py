"""Report charts as PNG (matplotlib): mail clients drop SVG and scripts, so every chart is an
image with its values printed on it, and axes fitted to the data rather than the metric's range."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

# Latin, Arabic and CJK glyphs, in fallback order (fonts-noto-core, fonts-noto-cjk).
FONTS = ["DejaVu Sans", "Noto Sans", "Noto Sans Arabic", "Noto Naskh Arabic", "Noto Sans CJK SC"]
# Their files' names start with (Debian's packages): what register_installed_fonts looks for.
FONT_FILES = {"DejaVu Sans": "DejaVuSans", "Noto Sans": "NotoSans-", "Noto Sans Arabic": "NotoSansArabic-",
              "Noto Naskh Arabic": "NotoNaskhArabic-", "Noto Sans CJK SC": "NotoSansCJK-"}
INK, MUTED, GRID = "#1d2733", "#5b6b7b", "#e3e8ee"


def register_installed_fonts() -> list[str]:
    """Add the FONTS installed on the system that matplotlib's cached font list lacks; returns their paths.

    matplotlib caches the system's fonts on first use (~/.cache/matplotlib): fonts installed after that
    (`make system-deps` after a first run) are unknown to it, and Arabic or Chinese labels draw as boxes.
    """
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    if all(name in known for name in FONTS):
        return []
    prefixes = tuple(FONT_FILES[name] for name in FONTS if name not in known)
    added = []
    for path in sorted(font_manager.findSystemFonts()):
        if Path(path).name.startswith(prefixes):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
            added.append(path)
    return added


@cache
def _fonts_registered() -> None:
    register_installed_fonts()


def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _fonts_registered()

    plt.rcParams.update({"font.family": FONTS, "font.size": 11, "axes.edgecolor": GRID, "axes.labelcolor": MUTED,
                         "xtick.color": MUTED, "ytick.color": MUTED})
    fig, ax = plt.subplots(figsize=(width, height), dpi=150)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return fig, ax


def _png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", facecolor="white")
    plt.close(fig)
    return buf.getvalue()


def _fitted(lows: Sequence[float], highs: Sequence[float], floor: float, ceiling: float) -> tuple[float, float]:
    lo, hi = min(lows), max(highs)
    pad = max((hi - lo) * 0.15, 2.0)
    return max(floor, lo - pad), min(ceiling, hi + pad * 1.6)  # room above for the value labels


def trend_chart(
    periods: Sequence[str],
    values: Sequence[float | None],
    ci_low: Sequence[float | None],
    ci_high: Sequence[float | None],
    *,
    colour: str,
    unit: str = "",
    limits: tuple[float, float] = (-100, 100),
) -> bytes:
    """One KPI by period: the line, its 95% interval shaded, each value printed above its point."""
    points = [(i, v, lo, hi) for i, (v, lo, hi) in enumerate(zip(values, ci_low, ci_high, strict=True)) if v is not None]
    fig, ax = _figure(6.4, 2.8)
    if not points:
        ax.text(0.5, 0.5, "No responses yet", ha="center", va="center", transform=ax.transAxes, color=MUTED)
        ax.set_xticks([])
        ax.set_yticks([])
        return _png(fig)
    xs = [p[0] for p in points]
    vs = [float(p[1]) for p in points]
    lows = [float(p[2] if p[2] is not None else p[1]) for p in points]
    highs = [float(p[3] if p[3] is not None else p[1]) for p in points]
    ax.fill_between(xs, lows, highs, color=colour, alpha=0.13, linewidth=0, label="95% interval")
    ax.plot(xs, vs, color=colour, linewidth=2.2, marker="o", markersize=5)
    for x, v in zip(xs, vs, strict=True):
        ax.annotate(f"{v:.0f}{unit}".replace("-", "−"), (x, v), textcoords="offset points", xytext=(0, 7), ha="center",
                    fontsize=11, fontweight="bold", color=INK)
    ax.set_ylim(*_fitted(lows, highs, *limits))
    ax.set_xticks(range(len(periods)), list(periods))
    ax.set_xlim(-0.4, len(periods) - 0.6)
    if unit:
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0f}{unit}")
    return _png(fig)


def impact_chart(labels: Sequence[str], impacts: Sequence[float]) -> bytes:
    """Horizontal bars of NPS points each topic adds (right) or costs (left), values printed at the bar ends."""
    fig, ax = _figure(6.4, 0.45 * max(len(labels), 1) + 0.9)
    if not labels:
        ax.text(0.5, 0.5, "No topics with NPS responses yet", ha="center", va="center", transform=ax.transAxes,
                color=MUTED)
        ax.set_xticks([])
        ax.set_yticks([])
        return _png(fig)
    ys = list(range(len(labels)))[::-1]
    colours = ["#b3261e" if v < 0 else "#2e8540" for v in impacts]
    ax.barh(ys, impacts, color=colours, height=0.6)
    reach = max(abs(v) for v in impacts) or 1.0
    for y, v in zip(ys, impacts, strict=True):
        ax.annotate(f"{v:+.1f}".replace("-", "−"), (v, y), textcoords="offset points", xytext=(5 if v >= 0 else -5, 0),
                    ha="left" if v >= 0 else "right", va="center", fontsize=9, fontweight="bold", color=INK)
    ax.set_xlim(-reach * 1.35, reach * 1.35)
    ax.axvline(0, color=MUTED, linewidth=0.8)
    ax.set_yticks(ys, [label if len(label) <= 34 else label[:33] + "…" for label in labels])
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    ax.set_xlabel("NPS points")
    return _png(fig)
