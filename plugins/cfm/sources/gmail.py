"""Gmail support inboxes: customer e-mails as feedback, the company's answers as replies.

Each configured inbox is an account with its own cursor. The first sync (and any
backfill) is a bounded re-list: the inbox's `historyId` is read from `users.getProfile`
*before* the scan, then `users.messages.list` (query + `after:<epoch>` + label filters)
is paged to the end and every message fetched with `users.messages.get(format=raw)`
(in HTTP batches of `fetch_batch_size`, failed inner calls retried on their own).
After that, syncs are incremental through `users.history.list` from the saved historyId.
An expired historyId (HTTP 404) falls back to a bounded re-list from the newest message
already stored minus the overlap window; an expired list page token (HTTP 400) restarts
the listing from its lower bound. Upserts by message id make every re-read harmless.

Cursor (ops.sync_state.cursor), one per inbox:
    {"phase": "history" | "listing", "history_id": "<str>", "last_internal_date_ms": <int>,
     "list_after": <epoch s, listing only>, "page_token": "<str, listing only>"}

Payload stored in raw.gmail: {"message": <messages.get response as received, with the
base64url `raw` RFC 2822 message>, "parsed": <ParsedMail fields + role + received_at>}.
`parsed.role` is 'feedback', 'company_reply' (from a company address/domain or SENT) or
'excluded' (with `parsed.exclusion_reason` auto_reply, bounce or bulk); everything is
kept in raw and the staging models split it.

Google client libraries are imported inside methods: the Airflow DAG processor never
imports this module while parsing, and listing sources stays cheap.
"""

from __future__ import annotations

import binascii
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cfm.sources.base import ExtractBatch, FeedbackSource, RawRecord, RejectedRecord, SourceError
from cfm.sources.gmail_mime import decode_base64url, parse_mail
from cfm.sources.google_api import build_service, error_reasons, execute, google_credentials, is_retryable
from cfm.sources.http import RetryPolicy, backoff_delay, retry_after_seconds

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://gmail.googleapis.com/"
SCOPES = ["https://www.googleapis.com/auth/gmail.readonly"]
# Mail that never was received customer mail: not stored at all.
SKIPPED_LABELS = frozenset({"DRAFT", "SPAM", "TRASH", "CHAT"})
DEFAULT_QUERY = "-in:chats -in:drafts"


def ms_to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _parse_start(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class GmailSource(FeedbackSource):
    """Reads support inboxes through google-api-python-client (static discovery, offline-safe)."""

    name = "gmail"
    supports_until = True  # the search's `before:`; ingest also drops records at or after it (bound inclusivity unconfirmed)
    until_cut = "client"

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] | None = None,
    ):
        super().__init__(config)
        self._sleep = sleep
        self._now = now or (lambda: datetime.now(UTC))
        cfg = self.config
        self.base_url = str(cfg.get("base_url") or DEFAULT_BASE_URL).rstrip("/") + "/"
        self.policy = RetryPolicy.from_config(cfg)
        self.page_size = max(1, min(500, int(cfg.get("page_size", 100))))
        # Gmail accepts at most 100 calls per batch and recommends 50; 1 = one HTTP call per message.
        self.fetch_batch_size = max(1, min(100, int(cfg.get("fetch_batch_size", 50))))
        self.overlap = timedelta(minutes=float(cfg.get("overlap_minutes", 60)))
        self.lookback_days = int(cfg.get("lookback_days", 90))
        self.track_label_changes = bool(cfg.get("track_label_changes", True))
        self.include_spam_trash = bool(cfg.get("include_spam_trash", False))
        self.company_addresses = {a.strip().lower() for a in cfg.get("company_addresses") or []}
        self.company_domains = {d.strip().lower().lstrip("@") for d in cfg.get("company_domains") or []}
        self.stats = {"fetched": 0, "gone": 0, "skipped": 0, "retries": 0, "relists": 0}
        self._services: dict[str, Any] = {}

    # -- configuration -------------------------------------------------------------------

    def inboxes(self) -> dict[str, dict[str, Any]]:
        """Configured inboxes keyed by address; a bare string is an address with defaults."""
        out: dict[str, dict[str, Any]] = {}
        for item in self.config.get("inboxes") or []:
            spec = {"address": item} if isinstance(item, str) else dict(item)
            address = str(spec.get("address") or "").strip().lower()
            if not address:
                raise SourceError(self.name, "every entry of sources.gmail.inboxes needs an address")
            out[address] = spec
        if not out:
            raise SourceError(self.name, "sources.gmail.inboxes is empty: name at least one support inbox")
        return out

    def accounts(self) -> list[str]:
        return list(self.inboxes())

    def start_date(self) -> datetime:
        value = self.config.get("start_date")
        if value:
            return _parse_start(value)
        return self._now() - timedelta(days=self.lookback_days)

    # -- the Gmail client ------------------------------------------------------------------

    def service(self, address: str) -> Any:
        """A Gmail v1 service for one inbox (a service account acts as that inbox), from the bundled discovery document."""
        if address not in self._services:
            credentials = google_credentials(self.name, SCOPES, subject=address)
            self._services[address] = build_service("gmail", "v1", credentials=credentials, api_endpoint=self.base_url,
                                                    timeout=self.policy.timeout)
        return self._services[address]

    def execute(self, request: Any, what: str, handles: tuple[int, ...] = ()) -> dict[str, Any]:
        """Run one API request with the shared retry policy: 429, 5xx, rate-limit 403s and timeouts retried.

        Retry-After wins over the computed backoff when the server sends it. Statuses in
        `handles` are raised as googleapiclient HttpError for the caller to interpret (404
        expired history, 400 expired page token); any other failure is a SourceError.
        """
        return execute(request, source=self.name, what=what, policy=self.policy, sleep=self._sleep, stats=self.stats,
                       handles=handles)

    # -- sync ------------------------------------------------------------------------------

    def batches(
        self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[ExtractBatch]:
        """Yield one batch per list or history page; see the module docstring for the cursor."""
        state = dict(cursor or {})
        if since is not None or until is not None:
            # `after:` is exclusive and in whole seconds: from the second before, so a message in
            # since's own second is not missed (the window's records upsert by id).
            start = _parse_start(since) - timedelta(seconds=1) if since is not None else self.start_date()
            yield from self._relist(account, state, after=start, before=_parse_start(until) if until else None)
        elif not state.get("history_id"):
            yield from self._relist(account, state, after=self.start_date())
        elif state.get("phase") == "listing":
            yield from self._relist(
                account, state, after=ms_to_datetime(int(state.get("list_after", 0)) * 1000),
                history_id=str(state["history_id"]), page_token=state.get("page_token"),
            )
        else:
            yield from self._history(account, state)

    def _relist(
        self,
        account: str,
        state: dict[str, Any],
        *,
        after: datetime,
        history_id: str | None = None,
        page_token: str | None = None,
        before: datetime | None = None,
    ) -> Iterator[ExtractBatch]:
        """Bounded full scan: profile historyId first, then messages.list pages from `after`."""
        from googleapiclient.errors import HttpError

        inbox = self.inboxes()[account]
        svc = self.service(account)
        user_id = inbox.get("user_id") or account
        if history_id is None:
            profile = self.execute(svc.users().getProfile(userId=user_id), "users.getProfile")
            history_id = str(profile.get("historyId") or "")
            if not history_id:
                raise SourceError(self.name, f"users.getProfile for {account} returned no historyId")
        after_s = int(after.timestamp())
        terms = (str(inbox.get("query", DEFAULT_QUERY) or "").strip(), f"after:{after_s}",
                 f"before:{math.ceil(before.timestamp())}" if before else "")  # whole seconds: round out, ingest cuts
        query = " ".join(q for q in terms if q)
        last_ms = int(state.get("last_internal_date_ms") or 0)
        page = 0
        while True:
            params: dict[str, Any] = {"userId": user_id, "q": query, "maxResults": self.page_size,
                                      "includeSpamTrash": self.include_spam_trash}
            if inbox.get("label_ids"):
                params["labelIds"] = list(inbox["label_ids"])
            if page_token:
                params["pageToken"] = page_token
            try:
                listing = self.execute(svc.users().messages().list(**params), "users.messages.list",
                                       handles=(400,) if page_token else ())
            except HttpError as exc:
                if exc.status_code == 400 and page_token:
                    log.warning("[gmail/%s] list page token rejected (HTTP 400); restarting the listing after %s",
                                account, after.isoformat())
                    self.stats["relists"] += 1
                    page_token = None
                    continue
                raise
            page += 1
            refs = [(m.get("id") if isinstance(m, dict) else None, f"list page {page} item {i}")
                    for i, m in enumerate(listing.get("messages") or [])]
            records, rejects = self._fetch(account, user_id, refs)
            last_ms = max([last_ms, *(_internal_ms(r.payload["message"]) for r in records)])
            page_token = listing.get("nextPageToken")
            if page_token:
                cursor = {"phase": "listing", "history_id": history_id, "list_after": after_s,
                          "page_token": page_token, "last_internal_date_ms": last_ms}
            else:
                cursor = {"phase": "history", "history_id": history_id, "last_internal_date_ms": last_ms}
            yield ExtractBatch(records=records, rejects=rejects, cursor=cursor)
            if not page_token:
                return

    def _history(self, account: str, state: dict[str, Any]) -> Iterator[ExtractBatch]:
        """Incremental: history.list from the saved historyId; 404 (expired) -> bounded re-list."""
        from googleapiclient.errors import HttpError

        inbox = self.inboxes()[account]
        svc = self.service(account)
        user_id = inbox.get("user_id") or account
        start = str(state["history_id"])
        last_ms = int(state.get("last_internal_date_ms") or 0)
        types = ["messageAdded"] + (["labelAdded", "labelRemoved"] if self.track_label_changes else [])
        page_token: str | None = None
        while True:
            params: dict[str, Any] = {"userId": user_id, "startHistoryId": start, "historyTypes": types,
                                      "maxResults": self.page_size}
            if page_token:
                params["pageToken"] = page_token
            try:
                resp = self.execute(svc.users().history().list(**params), "users.history.list", handles=(404,))
            except HttpError as exc:
                if exc.status_code != 404:
                    raise
                after = (ms_to_datetime(last_ms) - self.overlap) if last_ms else self.start_date()
                log.warning("[gmail/%s] historyId %s expired (HTTP 404); re-listing messages after %s",
                            account, start, after.isoformat())
                self.stats["relists"] += 1
                yield from self._relist(account, state, after=after)
                return
            entries = resp.get("history") or []
            ids = _history_message_ids(entries, self.track_label_changes)
            records, rejects = self._fetch(account, user_id, [(i, f"history {start}") for i in ids])
            last_ms = max([last_ms, *(_internal_ms(r.payload["message"]) for r in records)])
            page_token = resp.get("nextPageToken")
            if page_token:
                # Resume point inside the page sequence: the last history record this batch covers.
                covered = str(entries[-1].get("id")) if entries and entries[-1].get("id") else start
                cursor = {"phase": "history", "history_id": covered, "last_internal_date_ms": last_ms}
            else:
                cursor = {"phase": "history", "history_id": str(resp.get("historyId") or start),
                          "last_internal_date_ms": last_ms}
            yield ExtractBatch(records=records, rejects=rejects, cursor=cursor)
            if not page_token:
                return

    def _fetch(self, account: str, user_id: str, refs: list[tuple[Any, str]]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """messages.get(format=raw) for each id; a message deleted since it was listed (404) is skipped."""
        records: list[RawRecord] = []
        rejects: list[RejectedRecord] = []
        ids: dict[str, None] = {}
        for message_id, ref in refs:
            if not message_id:
                rejects.append(RejectedRecord(self.name, account, ref, "id", "message reference has no 'id'", {"ref": ref}))
            else:
                ids[str(message_id)] = None
        messages = self._get_raw_messages(account, user_id, list(ids))
        for message_id in ids:
            message = messages.get(message_id)
            if message is None:
                self.stats["gone"] += 1
                log.info("[gmail/%s] message %s is gone (HTTP 404); skipped", account, message_id)
                continue
            self.stats["fetched"] += 1
            if not self._has_labels(account, message):
                self.stats["skipped"] += 1
                continue
            outcome = self.to_record(account, message, ref=message_id)
            if isinstance(outcome, RejectedRecord):
                rejects.append(outcome)
            elif outcome is not None:
                records.append(outcome)
        return records, rejects

    def _get_raw_messages(self, account: str, user_id: str, ids: list[str]) -> dict[str, Any]:
        """Message id -> messages.get(format=raw) response, or None when the message is gone (404)."""
        from googleapiclient.errors import HttpError

        # Building a resource from the discovery document is costly: once per page, not per message.
        messages_api = self.service(account).users().messages()
        if self.fetch_batch_size > 1:
            return self._batch_get(messages_api, user_id, ids)
        out: dict[str, Any] = {}
        for message_id in ids:
            request = messages_api.get(userId=user_id, id=message_id, format="raw")
            try:
                out[message_id] = self.execute(request, "users.messages.get", handles=(404,))
            except HttpError as exc:
                if exc.status_code != 404:
                    raise
                out[message_id] = None
        return out

    def _batch_get(self, messages_api: Any, user_id: str, ids: list[str]) -> dict[str, Any]:
        """messages.get in HTTP batches of fetch_batch_size; failed inner calls are retried on their own.

        Each inner call still costs its quota units; batching saves round trips only.
        """
        from googleapiclient.errors import HttpError
        from googleapiclient.http import BatchHttpRequest

        out: dict[str, Any] = {}
        failed: dict[str, Any] = {}

        def collect(request_id: str, response: Any, exception: Any) -> None:
            if exception is None:
                out[request_id] = response
            elif isinstance(exception, HttpError) and exception.status_code == 404:
                out[request_id] = None
            else:
                failed[request_id] = exception

        pending = list(ids)
        for attempt in range(1, self.policy.max_attempts + 1):
            failed.clear()
            for start in range(0, len(pending), self.fetch_batch_size):
                chunk = pending[start:start + self.fetch_batch_size]
                batch = BatchHttpRequest(callback=collect, batch_uri=self.base_url + "batch/gmail/v1")
                for message_id in chunk:
                    batch.add(messages_api.get(userId=user_id, id=message_id, format="raw"), request_id=message_id)
                self.execute(_BatchCall(batch), f"batch of {len(chunk)} users.messages.get")
            if not failed:
                return out
            first = next(iter(failed.values()))
            status = getattr(first, "status_code", None)
            fatal = [e for e in failed.values() if not is_retryable(e)]
            if fatal:
                raise SourceError(self.name, f"users.messages.get (batched): HTTP {fatal[0].status_code}: "
                                             f"{_short_reason(fatal[0])}")
            if attempt == self.policy.max_attempts:
                raise SourceError(self.name, f"users.messages.get (batched): HTTP {status} after {attempt} attempts")
            hinted = [d for d in (retry_after_seconds(e.resp.get("retry-after")) for e in failed.values()) if d is not None]
            delay = min(max(hinted) if hinted else backoff_delay(attempt, self.policy), self.policy.max_delay)
            log.warning("[gmail] %d of %d batched users.messages.get failed (HTTP %s); retry %d in %.1fs",
                        len(failed), len(pending), status, attempt, delay)
            self.stats["retries"] += 1
            self._sleep(delay)
            pending = [m for m in pending if m in failed]
        raise AssertionError("unreachable")

    def _has_labels(self, account: str, message: Any) -> bool:
        """The inbox's label_ids filter, applied client-side too: history.list cannot AND several labels."""
        wanted = self.inboxes()[account].get("label_ids") or []
        if not wanted or not isinstance(message, dict):
            return True
        return set(wanted) <= set(message.get("labelIds") or [])

    # -- records ---------------------------------------------------------------------------

    def role(self, account: str, from_email: str, labels: list[str], exclusion: str | None) -> str:
        """'excluded' (auto-reply, bounce, bulk), 'company_reply' (sent by us) or 'feedback'.

        Exclusion wins, so a company auto-acknowledgement never counts as a first response.
        The inbox's own address is always a company address.
        """
        if exclusion:
            return "excluded"
        domain = from_email.rpartition("@")[2]
        company = from_email in self.company_addresses or from_email == account or domain in self.company_domains
        if "SENT" in labels or company:
            return "company_reply"
        return "feedback"

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        out = self.to_record(account, payload.get("message"), ref="replay")
        if out is None:
            raise SourceError(self.name, "the stored message carries a label this inbox skips (spam, trash, draft)")
        return ([out], []) if isinstance(out, RawRecord) else ([], [out])

    def to_record(self, account: str, message: Any, *, ref: str) -> RawRecord | RejectedRecord | None:
        """Key and parse one messages.get(format=raw) response; malformed -> RejectedRecord naming the field."""
        if not isinstance(message, dict):
            return RejectedRecord(self.name, account, ref, "message", "messages.get did not return an object",
                                  {"message": message})
        message_id = str(message.get("id") or "").strip()
        if not message_id:
            return RejectedRecord(self.name, account, ref, "id", "required field 'id' is missing or empty", {"message": message})
        labels = [str(lbl) for lbl in message.get("labelIds") or []]
        if SKIPPED_LABELS & set(labels) and not (self.include_spam_trash and not {"DRAFT", "CHAT"} & set(labels)):
            self.stats["skipped"] += 1
            return None
        raw = message.get("raw")
        if not isinstance(raw, str) or not raw:
            return RejectedRecord(self.name, account, message_id, "raw", "required field 'raw' (the RFC 2822 message) is missing",
                                  {"message": message})
        try:
            raw_bytes = decode_base64url(raw)
        except (binascii.Error, ValueError) as exc:
            return RejectedRecord(self.name, account, message_id, "raw", f"'raw' is not base64url: {exc}", {"message": message})
        internal = message.get("internalDate")
        if not str(internal or "").strip().isdigit():
            return RejectedRecord(self.name, account, message_id, "internalDate",
                                  f"required field 'internalDate' must be epoch milliseconds, got {internal!r}",
                                  {"message": message})
        if not message.get("threadId"):
            return RejectedRecord(self.name, account, message_id, "threadId", "required field 'threadId' is missing",
                                  {"message": message})
        parsed = parse_mail(raw_bytes)
        received_at = ms_to_datetime(int(internal))
        role = self.role(account, parsed.from_email, labels, parsed.exclusion_reason)
        details = {**parsed.as_dict(), "role": role, "received_at": received_at.isoformat().replace("+00:00", "Z")}
        return RawRecord(self.name, account, message_id, {"message": message, "parsed": details}, received_at)


def _internal_ms(message: Mapping[str, Any]) -> int:
    try:
        return int(message.get("internalDate") or 0)
    except (TypeError, ValueError):
        return 0


class _BatchCall:
    """Lets a BatchHttpRequest go through `execute`'s retry loop like a single request."""

    def __init__(self, batch: Any):
        self.batch = batch

    def execute(self, num_retries: int = 0) -> dict[str, Any]:
        self.batch.execute()
        return {}


def _short_reason(exc: Any) -> str:
    reasons = ", ".join(sorted(error_reasons(exc)))
    text = str(getattr(exc, "reason", "") or "").strip().replace("\n", " ")[:200]
    return f"{text} ({reasons})" if reasons else text or "no detail"




def _history_message_ids(entries: list[Mapping[str, Any]], with_label_changes: bool) -> list[str]:
    """Message ids from the typed history arrays, in order, each once."""
    keys = ("messagesAdded", "labelsAdded", "labelsRemoved") if with_label_changes else ("messagesAdded",)
    ids: dict[str, None] = {}
    for entry in entries:
        for key in keys:
            for item in entry.get(key) or []:
                mid = ((item or {}).get("message") or {}).get("id")
                if mid:
                    ids[str(mid)] = None
    return list(ids)
