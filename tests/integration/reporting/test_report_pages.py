"""The rendered report as a reader sees it: the PDF's first page rendered to an image and its
text read back (pypdfium2), and the HTML laid out by headless Chromium at phone and desktop widths."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from cfm.config import load_config
from cfm.pipeline.report import run
from cfm.pipeline.stage import StageContext

from .synthetic_marts import ARABIC_VERBATIM, CHINESE_VERBATIM


@pytest.fixture(scope="module")
def archived(report_warehouse, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    config = load_config()
    config["report"]["out_dir"] = str(out)
    counts = run(StageContext(url=report_warehouse, config=config, run_id="render"))
    assert counts["period"] == "2026-10"
    return out / "reports" / "2026-10"


def test_pdf_shows_the_headline_and_the_arabic_verbatim(archived) -> None:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(archived / "report.pdf")
    page = pdf[0]
    image = page.render(scale=1).to_pil().convert("L")
    width, height = image.size
    assert width < height  # a portrait page
    dark = sum(1 for px in image.getdata() if px < 128)
    assert dark > 0.005 * width * height, "page 1 rendered blank"
    first = page.get_textpage().get_text_range()
    assert "NPS was −10 in October 2026" in " ".join(first.split())
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert ARABIC_VERBATIM in text and CHINESE_VERBATIM in text
    assert "<script>" in text  # shown as text, literally: escaped in the HTML, not executed or dropped


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(not CHROMIUM, reason="no headless Chromium here (make system-deps installs it)")
@pytest.mark.parametrize("width", [420, 1100])
def test_page_has_no_horizontal_scroll(archived, tmp_path, width) -> None:
    # The page in an iframe of the given width (headless windows have a minimum width); when it has
    # loaded, a probe writes its layout widths into the harness DOM that Chromium dumps.
    for png in archived.glob("*.png"):
        shutil.copy(png, tmp_path / png.name)
    shutil.copy(archived / "report.html", tmp_path / "report.html")
    harness = tmp_path / "harness.html"
    harness.write_text(
        f'<!doctype html><body style="margin:0"><iframe id="f" src="report.html" style="width:{width}px;height:900px;border:0" '
        "onload=\"var d=this.contentDocument; document.body.setAttribute('data-probe', "
        "d.documentElement.scrollWidth + 'x' + this.contentWindow.innerWidth)\"></iframe></body>",
        encoding="utf-8")
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                          "--allow-file-access-from-files", "--window-size=1300,1000", "--virtual-time-budget=5000",
                          "--dump-dom", harness.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert 'data-probe="' in dom, dom[-2000:]
    scroll_width, viewport = (int(v) for v in dom.split('data-probe="', 1)[1].split('"', 1)[0].split("x"))
    assert viewport == width
    assert scroll_width <= viewport, f"horizontal scroll at {width}px: content is {scroll_width}px wide"
