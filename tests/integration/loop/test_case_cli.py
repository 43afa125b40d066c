"""`cfm case ...` as an agent runs it, against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import psycopg

from cfm.loop.cases import open_and_attach
from cfm.loop.events import case_id_for
from cfm.loop.settings import loop_settings

MON = datetime(2026, 11, 9, 9, tzinfo=UTC)


def cfm(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CFM_WAREHOUSE_URL": url, "CFM_AGENT": "farah"}
    return subprocess.run([sys.executable, "-m", "cfm.cli", "case", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_list_filter_show_and_act(loop_db) -> None:
    url, add, _ = loop_db
    add(feedback_id="c1", rating_type="nps", rating_value=2, rating_scale_min=0, rating_scale_max=10,
        category="billing", submitted_at=MON)
    add(feedback_id="c2", text_redacted="this is fraud", category="other", submitted_at=MON + timedelta(minutes=5))
    with psycopg.connect(url) as conn:
        open_and_attach(conn, loop_settings({}), MON + timedelta(hours=1))
    c1, c2 = case_id_for("c1"), case_id_for("c2")

    out = cfm(url, "list", "--department", "finance")
    assert out.returncode == 0, out.stderr
    assert c1 in out.stdout and c2 not in out.stdout and "1 case(s)" in out.stdout
    out = cfm(url, "list", "--priority", "P1", "--breached")  # both long past their first-response SLA
    assert c2 in out.stdout and c1 not in out.stdout and "response" in out.stdout

    assert cfm(url, "assign", c1, "li.wei@acme-shop.example").returncode == 0
    assert cfm(url, "list", "--owner", "li.wei@acme-shop.example").stdout.count(c1) == 1
    assert cfm(url, "respond", c1).stdout.strip() == f"{c1}: first_response recorded"
    res = cfm(url, "resolve", c1, "--root-cause", "double charge", "--code", "refunded", "--compensation", "20")
    assert res.returncode == 0, res.stderr
    again = cfm(url, "resolve", c1, "--root-cause", "x", "--code", "y")
    assert again.returncode == 2 and "is resolved; only an open case can be resolved" in again.stderr
    assert c1 not in cfm(url, "list").stdout and c1 in cfm(url, "list", "--status", "resolved").stdout
    assert cfm(url, "reopen", c1, "--reason", "customer disputes").returncode == 0
    assert cfm(url, "close", c1).returncode == 0
    shown = cfm(url, "show", c1).stdout
    assert '"status": "closed"' in shown and '"root_cause": "double charge"' in shown and "cli:farah" in shown
    for kind in ("created", "assigned", "first_response", "resolved", "reopened", "closed"):
        assert kind in shown
    missing = cfm(url, "show", "C-NOPE")
    assert missing.returncode == 2 and "no case C-NOPE" in missing.stderr
