"""Where alert messages go: a Slack incoming webhook (Block Kit) and email."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from cfm.alerts.store import Decision

ICONS = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}
LABELS = {"new": "New", "changed": "Changed", "resolved": "Resolved"}


def slack_payload(decisions: Sequence[Decision]) -> dict[str, Any]:
    """One message per run: a header, then a section per alert (Slack allows 50 blocks)."""
    from slack_sdk.models.blocks import (
        ContextBlock,
        DividerBlock,
        HeaderBlock,
        MarkdownTextObject,
        SectionBlock,
    )

    shown = list(decisions)[:23]
    blocks: list[Any] = [HeaderBlock(text=f"CFM alerts: {len(decisions)} update{'s' if len(decisions) != 1 else ''}")]
    for d in shown:
        icon = ":white_check_mark:" if d.action == "resolved" else ICONS.get(d.alert.severity, "")
        blocks.append(SectionBlock(text=MarkdownTextObject(
            text=f"{icon} *{_md(d.alert.title)}* ({LABELS[d.action]})\n{_md(d.alert.text)}"[:3000])))
        blocks.append(DividerBlock())
    if len(decisions) > len(shown):
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"and {len(decisions) - len(shown)} more in ops.alerts")]))
    fallback = "; ".join(f"{LABELS[d.action]}: {d.alert.title}" for d in decisions)[:3000]
    return {"text": fallback, "blocks": [b.to_dict() for b in blocks]}


def _md(text: str) -> str:
    # Slack mrkdwn: &, < and > must be escaped (feedback-derived labels are untrusted).
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send_slack(url: str, decisions: Sequence[Decision]) -> None:
    from slack_sdk.webhook import WebhookClient

    response = WebhookClient(url, timeout=15).send_dict(slack_payload(decisions))
    if response.status_code != 200:
        raise RuntimeError(f"Slack webhook refused the alert message: HTTP {response.status_code} {response.body}")


def send_email(recipient: str, decisions: Sequence[Decision], session) -> None:
    from cfm.reporting.email_message import notice_message

    subject = f"CFM alerts: {', '.join(d.alert.title for d in decisions)}"[:180]
    text = "\n\n".join(f"[{LABELS[d.action]}] {d.alert.title}\n{d.alert.text}" for d in decisions)
    with session() as smtp:
        smtp.send(notice_message(subject, text, sender=smtp.sender, recipient=recipient))


def deliver(decisions: Sequence[Decision], config: dict[str, Any], *, url: str, session=None) -> dict[str, int]:
    """Send to every configured channel (slack, email:<recipient>) the messages it has not taken yet
    (ops.alert_deliveries, committed per channel on its own connection). Every channel is tried; the
    first failure is raised afterwards, so the caller rolls ops.alerts back and the next run retries
    the failed channels only. The Slack webhook URL is a secret, read from the environment."""
    import psycopg

    from cfm.alerts.store import delivered, record_delivery
    from cfm.reporting.smtp import smtp_session

    sent = {"slack": 0, "email": 0}
    if not decisions:
        return sent
    alerts_cfg = config["alerts"]
    senders: list[tuple[str, str, Any]] = []
    webhook = os.environ.get(alerts_cfg.get("slack_webhook_env") or "CFM_SLACK_WEBHOOK_URL")
    if webhook:
        senders.append(("slack", "slack", lambda pending: send_slack(webhook, pending)))
    for recipient in alerts_cfg.get("email") or []:
        senders.append((f"email:{recipient}", "email",
                        lambda pending, r=recipient: send_email(r, pending, session or smtp_session)))
    failure: Exception | None = None
    with psycopg.connect(url, autocommit=True) as log:
        for channel, kind, send in senders:
            done = delivered(log, list(decisions), channel)
            pending = [d for d in decisions if (d.alert.key, d.message_no) not in done]
            if not pending:
                continue
            try:
                send(pending)
            except Exception as exc:  # noqa: BLE001 - the other channels still get their message
                failure = failure or exc
                continue
            record_delivery(log, pending, channel)
            sent[kind] += 1
    if failure is not None:
        raise failure
    return sent
