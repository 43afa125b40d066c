"""A local Slack incoming webhook: checks each POST as Slack does (JSON with a fallback `text`
and valid Block Kit `blocks`) and answers `ok`, or 400 `invalid_payload` / `invalid_blocks`."""

from __future__ import annotations

from typing import Any

from cfm.testing.fake_api import FakeApiServer, Request, Response

BLOCK_TYPES = {"header", "section", "context", "divider", "actions"}


def block_errors(payload: Any) -> list[str]:
    """What Slack would reject in an incoming-webhook payload (the limits of its Block Kit reference)."""
    if not isinstance(payload, dict):
        return ["payload is not a JSON object"]
    errors = []
    if not isinstance(payload.get("text"), str) or not payload["text"]:
        errors.append("no fallback text (shown in notifications)")
    blocks = payload.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        return errors + ["blocks must be a list of 1 to 50 blocks"]
    for i, block in enumerate(blocks):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in BLOCK_TYPES:
            errors.append(f"block {i}: unknown type {kind!r}")
            continue
        if kind == "header":
            text = block.get("text") or {}
            if text.get("type") != "plain_text" or not 0 < len(text.get("text", "")) <= 150:
                errors.append(f"block {i}: a header needs plain_text of at most 150 characters")
        if kind == "section":
            text, fields = block.get("text"), block.get("fields") or []
            if not text and not fields:
                errors.append(f"block {i}: a section needs text or fields")
            if text and (text.get("type") not in ("mrkdwn", "plain_text") or not 0 < len(text.get("text", "")) <= 3000):
                errors.append(f"block {i}: section text must be 1 to 3000 characters")
            if len(fields) > 10 or any(len(f.get("text", "")) > 2000 for f in fields):
                errors.append(f"block {i}: at most 10 fields of 2000 characters")
        if kind == "context" and not 0 < len(block.get("elements") or []) <= 10:
            errors.append(f"block {i}: a context needs 1 to 10 elements")
    return errors


class FakeSlackWebhook(FakeApiServer):
    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self.payloads: list[dict[str, Any]] = []
        self.route("POST", r"/services/[A-Z0-9]+/[A-Z0-9]+/[A-Za-z0-9]+")(self._post)

    @property
    def webhook_url(self) -> str:
        return f"{self.base_url}/services/T000TEST/B000TEST/abcdefXYZ123"

    def _post(self, req: Request) -> Response:
        try:
            payload = req.json()
        except ValueError:
            return Response(400, "invalid_payload", content_type="text/html")
        errors = block_errors(payload)
        if errors:
            return Response(400, "invalid_blocks: " + "; ".join(errors), content_type="text/html")
        self.payloads.append(payload)
        return Response(200, "ok", content_type="text/html")
