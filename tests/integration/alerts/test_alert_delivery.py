"""ops.alerts de-duplication and cooldown, the Slack Block Kit payload checked by a local webhook,
alert email over a real SMTP server, and failed DAG runs through the Airflow notifier."""

from __future__ import annotations

import smtplib
from types import SimpleNamespace

import psycopg
import pytest

from cfm.alerts.rules import Alert
from cfm.alerts.run import notify
from cfm.config import load_config
from cfm.reporting.smtp import env_smtp
from cfm.testing.fake_slack import FakeSlackWebhook, block_errors
from cfm.testing.mail_catcher import MailCatcher


@pytest.fixture
def slack(monkeypatch):
    with FakeSlackWebhook() as server:
        monkeypatch.setenv("CFM_SLACK_WEBHOOK_URL", server.webhook_url)
        yield server


def _config(cooldown_hours: float = 24, email: list[str] | None = None) -> dict:
    config = load_config()
    config["alerts"].update(cooldown_hours=cooldown_hours, email=email or [])
    return config


def _alert(fingerprint: str = "2026-10:45", title: str = "Negative feedback worse: late delivery in email") -> Alert:
    return Alert(key="shift:segment_topic:email:1:negative_share", kind="shift", title=title,
                 text="negative feedback rose from 20% to 45%", fingerprint=fingerprint)


def _alert_rows(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute("select alert_key, status, fingerprint, messages_sent, suppressed from ops.alerts").fetchall()


def test_one_problem_gives_one_message_until_it_changes_or_resolves(warehouse, slack) -> None:
    kinds = {"shift"}
    first = notify(warehouse, _config(), [_alert()], resolve_kinds=kinds)
    assert first["new"] == 1 and len(slack.payloads) == 1
    assert "late delivery" in slack.payloads[0]["text"]

    for _ in range(3):  # re-runs with the same finding send nothing
        assert notify(warehouse, _config(), [_alert()], resolve_kinds=kinds)["new"] == 0
    assert len(slack.payloads) == 1

    # changed within the cooldown: held back and counted
    notify(warehouse, _config(cooldown_hours=24), [_alert("2026-10:52")], resolve_kinds=kinds)
    assert len(slack.payloads) == 1
    assert _alert_rows(warehouse) == [("shift:segment_topic:email:1:negative_share", "open", "2026-10:45", 1, 1)]

    # changed after the cooldown: one message saying so
    changed = notify(warehouse, _config(cooldown_hours=0), [_alert("2026-10:52")], resolve_kinds=kinds)
    assert changed["changed"] == 1 and len(slack.payloads) == 2
    assert "Changed" in slack.payloads[1]["blocks"][1]["text"]["text"]

    # gone: one resolved message, then silence
    assert notify(warehouse, _config(), [], resolve_kinds=kinds)["resolved"] == 1
    assert notify(warehouse, _config(), [], resolve_kinds=kinds)["resolved"] == 0
    assert len(slack.payloads) == 3 and "Resolved" in slack.payloads[2]["text"]
    # and back again: a new message
    assert notify(warehouse, _config(), [_alert()], resolve_kinds=kinds)["new"] == 1
    assert len(slack.payloads) == 4


def test_payload_is_valid_block_kit_with_untrusted_text_escaped(warehouse, slack) -> None:
    evil = _alert(title="Emerging topic: <script>alert(1)</script> & <!channel>")
    notify(warehouse, _config(), [evil], resolve_kinds=set())
    payload = slack.payloads[0]
    assert block_errors(payload) == []
    section = payload["blocks"][1]["text"]["text"]
    assert "<script>" not in section and "&lt;script&gt;" in section and "&lt;!channel&gt;" in section


def test_a_refused_message_is_not_recorded_so_the_next_run_retries(warehouse, slack) -> None:
    from cfm.testing.fake_api import Fault

    slack.inject(Fault(status=500, body="internal_error", path=".*"))
    with pytest.raises(RuntimeError, match="Slack webhook refused"):
        notify(warehouse, _config(), [_alert()], resolve_kinds=set())
    assert _alert_rows(warehouse) == []
    assert notify(warehouse, _config(), [_alert()], resolve_kinds=set())["new"] == 1
    assert len(slack.payloads) == 1


def test_a_channel_that_took_the_message_does_not_get_it_again_when_another_failed(warehouse, slack) -> None:
    with MailCatcher() as catcher:
        config = _config(email=["oncall@example.com"])

        def notify_now() -> dict:
            return notify(warehouse, config, [_alert()], resolve_kinds=set(), session=lambda: env_smtp(catcher.settings()))

        catcher.refuse = "451 4.3.0 Mail server temporarily unavailable"
        for _ in range(2):  # Slack accepts, the mail server refuses, twice
            with pytest.raises(smtplib.SMTPDataError):
                notify_now()
        assert len(slack.payloads) == 1 and catcher.messages == []
        assert _alert_rows(warehouse) == []  # the message is still due

        catcher.refuse = None
        counts = notify_now()
        assert (counts["new"], counts["sent_slack"], counts["sent_email"]) == (1, 0, 1)
        assert len(slack.payloads) == 1 and len(catcher.messages) == 1 and b"late delivery" in catcher.messages[0]
        assert notify_now()["new"] == 0
        assert len(slack.payloads) == 1 and len(catcher.messages) == 1
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select channel, message_no from ops.alert_deliveries order by channel").fetchall() == [
            ("email:oncall@example.com", 1), ("slack", 1)]
    assert _alert_rows(warehouse) == [("shift:segment_topic:email:1:negative_share", "open", "2026-10:45", 1, 0)]


def test_alerts_are_emailed_too(warehouse, monkeypatch) -> None:
    monkeypatch.delenv("CFM_SLACK_WEBHOOK_URL", raising=False)
    with MailCatcher() as catcher:
        counts = notify(warehouse, _config(email=["oncall@example.com"]), [_alert()], resolve_kinds=set(),
                        session=lambda: env_smtp(catcher.settings()))
        notify(warehouse, _config(email=["oncall@example.com"]), [_alert()], resolve_kinds=set(),
               session=lambda: env_smtp(catcher.settings()))
    assert counts["sent_email"] == 1 and len(catcher.messages) == 1
    assert b"late delivery" in catcher.messages[0]


def test_failed_dag_runs_alert_once_per_run_through_the_notifier(warehouse, slack, monkeypatch) -> None:
    from cfm.alerts.notifier import CfmFailureNotifier

    monkeypatch.setenv("CFM_WAREHOUSE_URL", warehouse)
    notifier = CfmFailureNotifier()
    ti = SimpleNamespace(dag_id="cfm_ingest", task_id="ingest_typeform", run_id="scheduled__2026-11-02")
    context = {"ti": ti, "run_id": "scheduled__2026-11-02", "exception": ValueError("HTTP 401 from typeform")}
    notifier(context)
    notifier(context)  # the retry fails too: still one message
    assert len(slack.payloads) == 1 and "cfm_ingest.ingest_typeform" in slack.payloads[0]["text"]
    next_run = {**context, "run_id": "scheduled__2026-11-09"}
    notifier(next_run)  # another run fails within the cooldown: held back, counted
    assert len(slack.payloads) == 1
    with psycopg.connect(warehouse) as conn:  # a week later
        conn.execute("update ops.alerts set last_sent_at = last_sent_at - interval '7 days'")
    notifier(next_run)
    assert len(slack.payloads) == 2 and "scheduled__2026-11-09" in slack.payloads[1]["blocks"][1]["text"]["text"]
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select messages_sent, suppressed from ops.alerts where kind = 'dag_failed'").fetchone() == (2, 1)
