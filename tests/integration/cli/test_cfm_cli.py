"""The `cfm` command as a user runs it."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

CFM = [sys.executable, "-m", "cfm.cli"]


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([*CFM, *args], capture_output=True, text=True, env=env, timeout=600, **kwargs)


@pytest.mark.slow
def test_analyze_adds_the_enrichment_columns_without_a_warehouse(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    texts = ["The courier was three days late", "التطبيق يتوقف عند الدفع", "退款太慢了，等了两周",
             "Great support, solved in minutes", "Can I change my delivery address?"] * 4
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ticket", "body"])
        w.writerows([[f"T{i}", t] for i, t in enumerate(texts)])
    out = tmp_path / "out.csv"
    proc = _run(["analyze", str(src), "--text-column", "body", "--output", str(out), "--no-progress"])
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == len(texts)
    assert {"ticket", "body", "language", "sentiment", "sentiment_score", "category", "feedback_type", "topic_id",
            "topic_label"} <= set(rows[0])
    assert [r["language"] for r in rows[:3]] == ["en", "ar", "zh"]
    assert rows[0]["sentiment"] == "negative" and rows[3]["sentiment"] == "positive"


def test_analyze_names_the_file_and_column_when_the_text_column_is_missing(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,comment\n1,hello\n", encoding="utf-8")
    proc = _run(["analyze", str(src), "--text-column", "text", "--output", str(tmp_path / "o.csv")])
    assert proc.returncode != 0
    assert "text" in proc.stderr and "in.csv" in proc.stderr and "comment" in proc.stderr


def test_run_rejects_an_unknown_source_by_name(tmp_path: Path) -> None:
    cfg = tmp_path / "cfm.yml"
    cfg.write_text("warehouse:\n  url: postgresql://nobody@127.0.0.1:1/none\nsources:\n  fax_machine: {enabled: true}\n")
    proc = _run(["--config", str(cfg), "run", "--no-progress"])
    assert proc.returncode == 2 and "fax_machine" in proc.stderr and "Traceback" not in proc.stderr


def test_run_rejects_an_unknown_source_option() -> None:
    proc = _run(["run", "--source", "carrier_pigeon", "--no-progress"])
    assert proc.returncode == 2 and "carrier_pigeon" in proc.stderr and "Traceback" not in proc.stderr
