"""Charts find the Arabic and CJK fonts even when matplotlib cached its font list before they were installed."""

from __future__ import annotations

import shutil
import subprocess

import pytest


def _installed(family: str) -> bool:
    if not shutil.which("fc-list"):
        return False
    return family in subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout


@pytest.mark.skipif(not _installed("Noto Sans CJK SC"), reason="fonts-noto-cjk is not installed (make system-deps)")
def test_fonts_installed_after_matplotlib_cached_its_list_are_registered(monkeypatch) -> None:
    from matplotlib import font_manager

    from cfm.reporting.charts import register_installed_fonts

    # the font list as matplotlib cached it before `make system-deps`: no CJK font
    without_cjk = [f for f in font_manager.fontManager.ttflist if f.name != "Noto Sans CJK SC"]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", without_cjk)
    added = register_installed_fonts()
    assert any("NotoSansCJK" in path for path in added)
    assert "Noto Sans CJK SC" in {f.name for f in font_manager.fontManager.ttflist}
    path = font_manager.findfont(font_manager.FontProperties(family="Noto Sans CJK SC"), fallback_to_default=False)
    assert "NotoSansCJK" in path
    assert register_installed_fonts() == []  # nothing more to add
