"""A fake Gmail API v1 (the subset the connector uses), backed by an in-memory mailbox dataset.

Speaks the documented REST protocol under `/gmail/v1/users/{userId}/`:
`profile`, `messages` (q with after:/before:/in:/label: terms, labelIds AND-filter,
includeSpamTrash, pageToken/maxResults, newest first), `messages/{id}` (format raw,
minimal or metadata), `history` (startHistoryId, historyTypes, labelId, paging;
404 notFound when startHistoryId is older than the oldest kept history record), and for
follow-ups `drafts` (create, list, get) and `messages/send`: a draft is stored as a message
labelled DRAFT, a sent message as one labelled SENT, so tests read back exactly what the
customer would get (`GmailDataset.drafts`, `GmailDataset.sent`).
Every call needs `Authorization: Bearer <token>`; otherwise 401. Errors use Google's
`{"error": {"code", "message", "errors": [{"reason", "domain"}], "status"}}` body.

Tests mutate the dataset while the server runs: add messages, change labels, delete,
expire history, or make a message come back malformed (`drop_fields`).
"""

from __future__ import annotations

import base64
import email
import email.utils
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from cfm.testing.fake_api import FakeApiServer, Request, Response

DEMO_TOKEN = "fake-gmail-token-not-a-secret"
DEMO_INBOXES = ("support@acme-shop.example", "vip@acme-shop.example")
USER = r"/gmail/v1/users/(?P<user>[^/]+)"
HIDDEN_LABELS = {"SPAM", "TRASH"}


@dataclass
class StoredMessage:
    id: str
    thread_id: str
    labels: list[str]
    internal_date_ms: int
    raw: bytes
    history_id: int
    message_id_header: str
    drop_fields: tuple[str, ...] = ()

    def resource(self, fmt: str) -> dict[str, Any]:
        msg = email.message_from_bytes(self.raw)
        body: dict[str, Any] = {
            "id": self.id, "threadId": self.thread_id, "labelIds": list(self.labels),
            "snippet": _snippet(msg), "sizeEstimate": len(self.raw), "historyId": str(self.history_id),
            "internalDate": str(self.internal_date_ms),
        }
        if fmt == "raw":
            body["raw"] = base64.urlsafe_b64encode(self.raw).decode("ascii")
        elif fmt == "metadata":
            body["payload"] = {"mimeType": msg.get_content_type(),
                               "headers": [{"name": k, "value": str(v)} for k, v in msg.items()]}
        for name in self.drop_fields:
            body.pop(name, None)
        return body


@dataclass
class Mailbox:
    address: str
    messages: dict[str, StoredMessage] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    history_id: int = 1000
    oldest_history_id: int = 0
    drafts: dict[str, str] = field(default_factory=dict)  # draft id -> message id
    sent: list[str] = field(default_factory=list)


MailboxHandler = Callable[[Request, Mailbox], Response]


class GmailDataset:
    """Mailboxes with messages and their history records; safe to change while the server runs."""

    def __init__(self, token: str = DEMO_TOKEN):
        self.token = token
        self.mailboxes: dict[str, Mailbox] = {}
        self.lock = threading.RLock()
        self._next_id = 0x18C1F0A9B2000

    def mailbox(self, address: str) -> Mailbox:
        with self.lock:
            return self.mailboxes.setdefault(address.lower(), Mailbox(address.lower()))

    def _tick(self, box: Mailbox, step: int = 3) -> int:
        box.history_id += step  # history ids increase but are not contiguous
        return box.history_id

    def add_message(
        self,
        address: str,
        raw: bytes | Message,
        *,
        labels: tuple[str, ...] | list[str] = ("INBOX", "UNREAD"),
        internal_date: datetime | int | None = None,
        message_id: str | None = None,
        thread_id: str | None = None,
        drop_fields: tuple[str, ...] = (),
    ) -> str:
        """Deliver a message (raw bytes or an email Message) and record a messageAdded history entry."""
        data = raw.as_bytes() if isinstance(raw, Message) else raw
        parsed = email.message_from_bytes(data)
        if internal_date is None:
            when = email.utils.parsedate_to_datetime(parsed["Date"]) if parsed["Date"] else datetime.now(UTC)
            internal_ms = int(when.timestamp() * 1000)
        elif isinstance(internal_date, datetime):
            internal_ms = int(internal_date.timestamp() * 1000)
        else:
            internal_ms = int(internal_date)
        header_id = (parsed["Message-ID"] or "").strip()
        with self.lock:
            box = self.mailbox(address)
            if message_id is None:
                self._next_id += 0x1F3
                message_id = f"{self._next_id:x}"
            if thread_id is None:
                wanted = re.findall(r"<[^<>\s]+>", f"{parsed['In-Reply-To'] or ''} {parsed['References'] or ''}")
                thread_id = next((m.thread_id for m in box.messages.values() if m.message_id_header in wanted), message_id)
            hid = self._tick(box)
            stored = StoredMessage(message_id, thread_id, list(labels), internal_ms, data, hid, header_id, tuple(drop_fields))
            box.messages[message_id] = stored
            box.history.append({"id": hid, "type": "messageAdded", "message": message_id, "labels": list(labels)})
            return message_id

    def drafts(self, address: str) -> list[tuple[str, StoredMessage]]:
        """(draft id, message) for every draft in the mailbox, oldest first."""
        with self.lock:
            box = self.mailbox(address)
            return [(d, box.messages[m]) for d, m in box.drafts.items() if m in box.messages]

    def sent(self, address: str) -> list[StoredMessage]:
        """Messages sent through messages.send, oldest first."""
        with self.lock:
            box = self.mailbox(address)
            return [box.messages[m] for m in box.sent if m in box.messages]

    def modify_labels(self, address: str, message_id: str, add: tuple[str, ...] = (), remove: tuple[str, ...] = ()) -> None:
        with self.lock:
            box = self.mailbox(address)
            msg = box.messages[message_id]
            for label in add:
                if label not in msg.labels:
                    msg.labels.append(label)
            msg.labels = [lbl for lbl in msg.labels if lbl not in remove]
            msg.history_id = self._tick(box)
            if add:
                box.history.append({"id": msg.history_id, "type": "labelAdded", "message": message_id, "labels": list(add)})
            if remove:
                box.history.append({"id": self._tick(box), "type": "labelRemoved", "message": message_id,
                                    "labels": list(remove)})

    def delete_message(self, address: str, message_id: str) -> None:
        with self.lock:
            box = self.mailbox(address)
            box.messages.pop(message_id, None)
            box.history.append({"id": self._tick(box), "type": "messageDeleted", "message": message_id, "labels": []})

    def expire_history(self, address: str) -> None:
        """Forget all history so far: any older startHistoryId now answers 404."""
        with self.lock:
            box = self.mailbox(address)
            box.oldest_history_id = self._tick(box)
            box.history = [h for h in box.history if h["id"] >= box.oldest_history_id]

    def add_recorded(self, address: str, resource: dict[str, Any]) -> str:
        """Load a recorded messages.get(format=raw) response (sample data)."""
        return self.add_message(
            address, base64.urlsafe_b64decode(resource["raw"] + "=" * (-len(resource["raw"]) % 4)),
            labels=tuple(resource.get("labelIds") or ()), internal_date=int(resource["internalDate"]),
            message_id=resource["id"], thread_id=resource.get("threadId"),
        )


def _snippet(msg: Message) -> str:
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            data = part.get_payload(decode=True) or b""
            text = data.decode(part.get_content_charset() or "utf-8", errors="replace")
            return re.sub(r"\s+", " ", text).strip()[:120]
    return ""


def google_error(code: int, message: str, reason: str, status: str) -> Response:
    return Response(code, {"error": {"code": code, "message": message, "status": status,
                                     "errors": [{"message": message, "domain": "global", "reason": reason}]}})


def _invalid(message: str) -> Response:
    return google_error(400, message, "invalidArgument", "INVALID_ARGUMENT")


def _not_found() -> Response:
    return google_error(404, "Requested entity was not found.", "notFound", "NOT_FOUND")


def _epoch(term: str) -> int | None:
    if term.isdigit():
        return int(term)
    m = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", term)
    if m:
        return int(datetime(int(m[1]), int(m[2]), int(m[3]), tzinfo=UTC).timestamp())
    return None


def _matches_query(msg: StoredMessage, q: str) -> bool:
    """The subset of Gmail search the fake understands: after:, before:, in:, label: (and their negations)."""
    seconds = msg.internal_date_ms // 1000
    for term in q.split():
        negate = term.startswith("-")
        key, _, value = term.lstrip("-").partition(":")
        key = key.lower()
        if key in ("after", "before") and _epoch(value) is not None:
            ok = seconds > _epoch(value) if key == "after" else seconds < _epoch(value)
        elif key in ("in", "label"):
            wanted = {"chats": "CHAT", "drafts": "DRAFT", "inbox": "INBOX", "sent": "SENT"}.get(value.lower(), value.upper())
            ok = wanted in msg.labels
        else:
            continue  # unknown terms are ignored by the fake
        if ok == negate:
            return False
    return True


def _page(items: list[Any], token: str | None, size: int) -> tuple[list[Any], str | None] | None:
    start = 0
    if token:
        m = re.fullmatch(r"pg-(\d+)", token)
        if not m:
            return None
        start = int(m[1])
    chunk = items[start:start + size]
    nxt = f"pg-{start + size}" if start + size < len(items) else None
    return chunk, nxt


def build_server(dataset: GmailDataset) -> FakeApiServer:
    """A FakeApiServer speaking the Gmail v1 REST protocol over `dataset` (not started)."""
    server = FakeApiServer()

    def authorised(req: Request) -> Response | None:
        if req.headers.get("authorization") != f"Bearer {dataset.token}":
            return google_error(401, "Request had invalid authentication credentials.", "authError", "UNAUTHENTICATED")
        return None

    def mailbox_for(req: Request) -> Mailbox | Response:
        user = unquote(req.match["user"]).lower()
        with dataset.lock:
            if user == "me" and dataset.mailboxes:
                return next(iter(dataset.mailboxes.values()))
            if user not in dataset.mailboxes:
                return _invalid("Invalid userId")
            return dataset.mailboxes[user]

    def size(req: Request) -> int:
        return max(1, min(500, int(req.arg("maxResults", "100") or 100)))

    def mailbox_route(method: str, pattern: str) -> Callable[[MailboxHandler], MailboxHandler]:
        """Route `USER + pattern` to a handler that gets the caller's mailbox once the token is checked (401/400 before)."""

        def register(handler: MailboxHandler) -> MailboxHandler:
            @server.route(method, USER + pattern)
            def guarded(req: Request) -> Response:
                box = authorised(req) or mailbox_for(req)
                if isinstance(box, Response):
                    return box
                return handler(req, box)

            return handler

        return register

    @mailbox_route("GET", r"/profile")
    def profile(req: Request, box: Mailbox) -> Response:
        with dataset.lock:
            return Response(200, {"emailAddress": box.address, "messagesTotal": len(box.messages),
                                  "threadsTotal": len({m.thread_id for m in box.messages.values()}),
                                  "historyId": str(box.history_id)})

    @mailbox_route("GET", r"/messages")
    def list_messages(req: Request, box: Mailbox) -> Response:
        labels = req.query.get("labelIds") or []
        spam_trash = (req.arg("includeSpamTrash", "false") or "").lower() == "true"
        q = req.arg("q", "") or ""
        with dataset.lock:
            found = [m for m in box.messages.values()
                     if (spam_trash or not HIDDEN_LABELS & set(m.labels))
                     and all(lbl in m.labels for lbl in labels) and _matches_query(m, q)]
        found.sort(key=lambda m: (m.internal_date_ms, m.id), reverse=True)
        paged = _page(found, req.arg("pageToken"), size(req))
        if paged is None:
            return _invalid("Invalid pageToken")
        chunk, nxt = paged
        body: dict[str, Any] = {"resultSizeEstimate": len(found)}
        if chunk:
            body["messages"] = [{"id": m.id, "threadId": m.thread_id} for m in chunk]
        if nxt:
            body["nextPageToken"] = nxt
        return Response(200, body)

    @mailbox_route("GET", r"/messages/(?P<id>[^/]+)")
    def get_message(req: Request, box: Mailbox) -> Response:
        fmt = (req.arg("format", "full") or "full").lower()
        if fmt not in ("raw", "minimal", "metadata"):
            return _invalid(f"format {fmt!r} is not implemented by the fake")
        with dataset.lock:
            msg = box.messages.get(req.match["id"])
            if msg is None:
                return _not_found()
            return Response(200, msg.resource(fmt))

    def stored_from(box: Mailbox, message: Any, label: str) -> StoredMessage | Response:
        if not isinstance(message, dict) or not message.get("raw"):
            return _invalid("'raw' RFC822 payload message string or uploading message via /upload/* URL required")
        try:
            raw = base64.urlsafe_b64decode(message["raw"] + "=" * (-len(message["raw"]) % 4))
        except (ValueError, TypeError):
            return _invalid("Invalid value for ByteString")
        parsed = email.message_from_bytes(raw)
        if not parsed["To"]:
            return google_error(400, "Invalid To header", "invalidArgument", "FAILED_PRECONDITION")
        thread = message.get("threadId")
        if thread and not any(m.thread_id == thread for m in box.messages.values()):
            return _not_found()
        mid = dataset.add_message(box.address, raw, labels=(label,), internal_date=datetime.now(UTC), thread_id=thread)
        return box.messages[mid]

    @mailbox_route("POST", r"/drafts")
    def create_draft(req: Request, box: Mailbox) -> Response:
        with dataset.lock:
            stored = stored_from(box, (req.json() or {}).get("message"), "DRAFT")
            if isinstance(stored, Response):
                return stored
            draft_id = f"r-{stored.id}"
            box.drafts[draft_id] = stored.id
            return Response(200, {"id": draft_id, "message": {"id": stored.id, "threadId": stored.thread_id,
                                                              "labelIds": list(stored.labels)}})

    @mailbox_route("GET", r"/drafts")
    def list_drafts(req: Request, box: Mailbox) -> Response:
        with dataset.lock:
            items = [{"id": d, "message": {"id": m, "threadId": box.messages[m].thread_id}}
                     for d, m in box.drafts.items() if m in box.messages]
        return Response(200, {"drafts": items, "resultSizeEstimate": len(items)} if items else {"resultSizeEstimate": 0})

    @mailbox_route("GET", r"/drafts/(?P<id>[^/]+)")
    def get_draft(req: Request, box: Mailbox) -> Response:
        with dataset.lock:
            mid = box.drafts.get(req.match["id"])
            if mid is None or mid not in box.messages:
                return _not_found()
            fmt = (req.arg("format", "full") or "full").lower()
            fmt = fmt if fmt in ("raw", "minimal") else "metadata"  # the fake has no `full` body tree
            return Response(200, {"id": req.match["id"], "message": box.messages[mid].resource(fmt)})

    @mailbox_route("POST", r"/messages/send")
    def send_message(req: Request, box: Mailbox) -> Response:
        with dataset.lock:
            stored = stored_from(box, req.json() or {}, "SENT")
            if isinstance(stored, Response):
                return stored
            box.sent.append(stored.id)
            return Response(200, {"id": stored.id, "threadId": stored.thread_id, "labelIds": list(stored.labels)})

    @mailbox_route("GET", r"/history")
    def list_history(req: Request, box: Mailbox) -> Response:
        start = req.arg("startHistoryId")
        if not start or not start.isdigit():
            return _invalid("Invalid startHistoryId")
        types = set(req.query.get("historyTypes") or ["messageAdded", "messageDeleted", "labelAdded", "labelRemoved"])
        label = req.arg("labelId")
        with dataset.lock:
            if int(start) < box.oldest_history_id:
                return _not_found()
            entries = [h for h in box.history if h["id"] > int(start) and h["type"] in types
                       and (not label or label in (box.messages[h["message"]].labels if h["message"] in box.messages else []))]
            paged = _page(entries, req.arg("pageToken"), size(req))
            if paged is None:
                return _invalid("Invalid pageToken")
            chunk, nxt = paged
            records = [_history_record(box, h) for h in chunk]
            body: dict[str, Any] = {"historyId": str(box.history_id)}
        if records:
            body["history"] = records
        if nxt:
            body["nextPageToken"] = nxt
        return Response(200, body)

    @server.route("POST", r"/batch(/gmail/v1)?")
    def batch(req: Request) -> Response:
        """multipart/mixed of application/http requests -> multipart/mixed of their responses.

        Inner requests go through `server.dispatch`, so faults injected for a per-message
        path hit the matching inner call, as they would behind Google's batch front end.
        """
        denied = authorised(req)
        if denied:
            return denied
        envelope = email.message_from_bytes(
            f"Content-Type: {req.headers.get('content-type', '')}\r\n\r\n".encode() + req.body)
        if not envelope.is_multipart():
            return _invalid("batch body is not multipart/mixed")
        parts = envelope.get_payload()
        if len(parts) > 100:
            return _invalid("Too many requests in batch (max 100)")
        boundary = "batch_fake_gmail_boundary"
        chunks = []
        for part in parts:
            inner = _inner_request(part.get_payload(), req.headers.get("authorization", ""))
            answer = server.dispatch(inner)
            content_id = (part["Content-ID"] or "").strip("<>")
            chunks.append(
                f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <response-{content_id}>\r\n\r\n"
                f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}\r\n"
                f"Content-Type: application/json; charset=UTF-8\r\n\r\n{answer.encoded().decode('utf-8')}\r\n"
            )
        body = "".join(chunks) + f"--{boundary}--\r\n"
        return Response(200, body, content_type=f"multipart/mixed; boundary={boundary}")

    return server


def _inner_request(text: str, outer_auth: str) -> Request:
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    method, target, _ = (lines[0].split(" ") + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    headers.setdefault("authorization", outer_auth)
    parts = urlsplit(target)
    return Request(method.upper(), parts.path, parse_qs(parts.query, keep_blank_values=True), headers, body.encode())


def _history_record(box: Mailbox, entry: dict[str, Any]) -> dict[str, Any]:
    msg = box.messages.get(entry["message"])
    ref = {"id": entry["message"], "threadId": msg.thread_id if msg else entry["message"]}
    full = {**ref, "labelIds": list(msg.labels) if msg else []}
    typed = {"messageAdded": ("messagesAdded", {"message": full}),
             "messageDeleted": ("messagesDeleted", {"message": ref}),
             "labelAdded": ("labelsAdded", {"message": full, "labelIds": entry["labels"]}),
             "labelRemoved": ("labelsRemoved", {"message": full, "labelIds": entry["labels"]})}[entry["type"]]
    return {"id": str(entry["id"]), "messages": [ref], typed[0]: [typed[1]]}


def _sample_folder(sample_dir: Path) -> Path:
    return sample_dir / "gmail" if (sample_dir / "gmail").is_dir() else sample_dir


def demo_dataset(sample_dir: Path) -> GmailDataset:
    """Mailboxes loaded from recorded messages.get(format=raw) responses, one JSONL file per inbox."""
    dataset = GmailDataset()
    for path in sorted(_sample_folder(sample_dir).glob("*.jsonl")):
        address = path.stem
        resources = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for resource in sorted(resources, key=lambda r: int(r["internalDate"])):
            dataset.add_recorded(address, resource)
    return dataset


def demo_server(sample_dir: Path) -> FakeApiServer:
    """The fake Gmail API holding the demo inboxes from sample_data/api/gmail/ (not started)."""
    return build_server(demo_dataset(sample_dir))


def demo_config(base_url: str) -> dict[str, Any]:
    """The cfm.yml `sources.gmail` section for the demo, pointing at the fake server."""
    return {
        "enabled": True,
        "base_url": base_url,
        "inboxes": [{"address": a} for a in DEMO_INBOXES],
        "start_date": "2026-05-01",
        "company_domains": ["acme-shop.example"],
        "overlap_minutes": 60,
        "page_size": 100,
    }


def demo_credentials() -> dict[str, str]:
    """Environment for the demo: an obviously fake bearer token the fake server accepts."""
    return {"CFM_GMAIL_TOKEN": DEMO_TOKEN}
