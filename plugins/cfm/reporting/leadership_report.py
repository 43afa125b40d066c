"""The leadership report: content from the report marts, rendered as HTML (email and archive)
with PNG charts, and as PDF.

Feedback text is untrusted: the template autoescapes everything it prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cfm.reporting.content import ReportContent

TEMPLATES = Path(__file__).resolve().parent / "templates"
KPI_COLOURS = {"nps": "#1f5f99", "csat": "#2e8540", "ces": "#b5651d"}


@dataclass
class RenderedReport:
    period: str
    subject: str
    headline: list[str]
    html: str  # for the archive and the PDF: images as files beside it
    email_html: str  # images as cid: references to the inline parts
    charts: dict[str, bytes] = field(default_factory=dict)  # file name -> PNG
    pdf: bytes = b""


def chart_images(content: ReportContent) -> dict[str, bytes]:
    from cfm.reporting import wording
    from cfm.reporting.charts import impact_chart, trend_chart

    charts: dict[str, bytes] = {}
    for metric, colour in KPI_COLOURS.items():
        rows = [r for r in content.kpi_history if r["metric"] == metric and r["period"] <= content.period][-12:]
        if not rows:
            continue
        charts[f"{metric}_trend.png"] = trend_chart(
            [wording.short_period(r["period"]) for r in rows], [r["value"] for r in rows], [r["ci_low"] for r in rows],
            [r["ci_high"] for r in rows], colour=colour, unit="%" if metric == "csat" else "",
            limits=(-100, 100) if metric == "nps" else (0, 100),
        )
    drivers = [d for d in content.drivers if d["nps_impact"] is not None]
    charts["drivers.png"] = impact_chart([d["topic_label"] or f"topic {d['topic_id']}" for d in drivers],
                                         [float(d["nps_impact"]) for d in drivers])
    return charts


def render_html(content: ReportContent, *, title: str, image_src: dict[str, str], language: str = "en") -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from cfm.reporting import wording

    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.filters.update(num=wording.num, signed=wording.signed, period_name=wording.period_name)
    env.globals.update(interval_sentence=wording.interval_sentence, change_phrase=wording.change_phrase,
                       mover_text=wording.mover_text, METRIC_WORDS=wording.METRIC_WORDS)
    headline = wording.headline(content.kpis, content.movers, content.period, content.stale_sources)
    return env.get_template("leadership_report.html.j2").render(
        title=title, c=content, headline=headline, img=image_src, language=language,
    )


def render_report(content: ReportContent, *, title: str, language: str = "en") -> RenderedReport:
    """Charts, the archive HTML, the email HTML (cid: images) and the PDF of one period."""
    from cfm.reporting import wording
    from cfm.reporting.pdf import html_to_pdf

    if language != "en":
        raise ValueError(f"report.language {language!r}: only 'en' has report wording so far")
    charts = chart_images(content)
    html = render_html(content, title=title, image_src={name: name for name in charts}, language=language)
    email_html = render_html(content, title=title, image_src={name: f"cid:{name}" for name in charts},
                             language=language)
    headline = wording.headline(content.kpis, content.movers, content.period, content.stale_sources)
    subject = f"{title}: {wording.period_name(content.period)}"
    rendered = RenderedReport(content.period, subject, headline, html, email_html, charts)
    rendered.pdf = html_to_pdf(html, {name: png for name, png in charts.items()})
    return rendered


def archive(rendered: RenderedReport, out_dir: Path) -> Path:
    """out/reports/<period>/: report.html with its PNGs beside it, and report.pdf. Re-rendering replaces them."""
    folder = out_dir / "reports" / rendered.period
    folder.mkdir(parents=True, exist_ok=True)
    for name, png in rendered.charts.items():
        (folder / name).write_bytes(png)
    (folder / "report.html").write_text(rendered.html, encoding="utf-8")
    (folder / "report.pdf").write_bytes(rendered.pdf)
    return folder
