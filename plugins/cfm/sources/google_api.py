"""Google API plumbing shared by the Google Forms, Google Play and Business Profile sources.

Credentials come from `credential(...)` (env `CFM_<SOURCE>_<KEY>` or the Airflow connection
`cfm_<source>`), in this order: a service-account key (`service_account_json`: the JSON text
or a path to it), an OAuth refresh token (`refresh_token` + `client_id` + `client_secret`),
or a ready access token (`token`, for short jobs, the demo and tests).

Discovery-based clients are built from the documents bundled in google-api-python-client
(`static_discovery=True`, no network) with `api_endpoint` configurable, over an httplib2
connection with a timeout. `execute` retries 429/5xx, timeouts and connection errors with
our own policy (full-jitter backoff, `Retry-After` honoured, injectable sleep), because the
library's `num_retries` ignores `Retry-After` and sleeps in real time. A 403 whose reason is
`rateLimitExceeded`/`userRateLimitExceeded` is a quota signal and is retried too.

(The module sits under the google_forms_ prefix only because of path ownership; it is not
specific to Forms.)
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cfm.sources.base import ExtractBatch, FeedbackSource, RawRecord, RejectedRecord, SourceError
from cfm.sources.credentials import credential
from cfm.sources.http import (
    RETRYABLE_STATUS,
    RetryPolicy,
    SourceHTTPError,
    backoff_delay,
    retry_after_seconds,
)
from cfm.sources.timestamps import parse_utc

log = logging.getLogger(__name__)

TOKEN_URI = "https://oauth2.googleapis.com/token"
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


def google_credentials(source: str, scopes: Sequence[str], *, subject: str | None = None) -> Any:
    """Build google-auth credentials for `source` from the configured secrets (never logged).

    `subject`: the user a service account acts as (domain-wide delegation, e.g. an inbox).
    """
    sa = credential(source, "service_account_json", required=False)
    if sa:
        from google.oauth2 import service_account

        info = json.loads(sa) if sa.lstrip().startswith("{") else _read_json_file(source, sa)
        creds = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
        return creds.with_subject(subject) if subject else creds
    refresh_token = credential(source, "refresh_token", required=False)
    from google.oauth2.credentials import Credentials

    if refresh_token:
        return Credentials(
            None,
            refresh_token=refresh_token,
            client_id=credential(source, "client_id"),
            client_secret=credential(source, "client_secret"),
            token_uri=credential(source, "token_uri", required=False) or TOKEN_URI,
            scopes=list(scopes),
        )
    token = credential(source, "token", required=False)
    if token:
        return Credentials(token)
    raise SourceError(
        source,
        f"missing credentials: set CFM_{source.upper()}_SERVICE_ACCOUNT_JSON, or CFM_{source.upper()}_REFRESH_TOKEN "
        f"with _CLIENT_ID and _CLIENT_SECRET, or CFM_{source.upper()}_TOKEN (or the Airflow connection cfm_{source})",
    )


def _read_json_file(source: str, path: str) -> dict[str, Any]:
    if not os.path.isfile(path):
        raise SourceError(source, "service_account_json is neither JSON text nor a readable file")
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def build_service(api: str, version: str, *, credentials: Any, api_endpoint: str | None, timeout: float) -> Any:
    """A discovery client from the bundled document, with a per-request timeout."""
    import google_auth_httplib2
    import httplib2
    from googleapiclient.discovery import build

    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
    options = {"api_endpoint": api_endpoint} if api_endpoint else None
    return build(api, version, http=http, static_discovery=True, cache_discovery=False, client_options=options)


class GoogleRequestFailed(SourceError):
    """A Google API call failed for good; `status` is the HTTP status (None for network errors)."""

    def __init__(self, source: str, what: str, status: int | None, detail: str):
        super().__init__(source, f"{what} failed" + (f" with HTTP {status}" if status else "") + f": {detail}")
        self.status = status


def execute(
    request: Any,
    *,
    source: str,
    what: str,
    policy: RetryPolicy,
    sleep: Callable[[float], None] = time.sleep,
    stats: dict[str, int] | None = None,
    handles: tuple[int, ...] = (),
) -> Any:
    """Execute a googleapiclient request, retrying 429/5xx, timeouts, connection resets and bodies
    that are not the JSON object promised (truncated, cut short); the final error names the call,
    the page token asked for and the attempts made. The one retry path of every Google source.

    Statuses in `handles` (when not retryable) are re-raised as googleapiclient's HttpError for
    the caller to interpret (404 expired history, 400 expired page token).
    """
    import httplib2
    from google.auth.exceptions import RefreshError
    from googleapiclient.errors import HttpError

    stats = stats if stats is not None else {}
    where = what + _page_of(request)
    for attempt in range(1, policy.max_attempts + 1):
        stats["requests"] = stats.get("requests", 0) + 1
        try:
            result = request.execute(num_retries=0)
            if not isinstance(result, dict):
                raise ValueError(f"the body is {type(result).__name__}, not a JSON object")
            return result
        except RefreshError:
            raise GoogleRequestFailed(source, where, 401, "credentials rejected and could not be refreshed") from None
        except HttpError as exc:
            status = exc.resp.status
            retryable = is_retryable(exc)
            if status == 401:
                raise GoogleRequestFailed(source, where, 401, "credentials rejected (token expired or revoked)") from None
            if not retryable and status in handles:
                raise
            if not retryable or attempt == policy.max_attempts:
                raise GoogleRequestFailed(source, where, status, _error_text(exc) + _attempts(attempt)) from exc
            delay = retry_after_seconds(exc.resp.get("retry-after"))
            reason = f"HTTP {status}"
        except (TimeoutError, ConnectionError, OSError, http.client.HTTPException, httplib2.HttpLib2Error,
                ValueError, RecursionError) as exc:
            detail = f"response body is not valid JSON: {exc}" if isinstance(exc, ValueError | RecursionError) \
                else type(exc).__name__
            if attempt == policy.max_attempts:
                raise GoogleRequestFailed(source, where, None, detail + _attempts(attempt)) from exc
            delay = None
            reason = detail
        if delay is None:
            delay = backoff_delay(attempt, policy)
        delay = min(delay, policy.max_delay)
        stats["retries"] = stats.get("retries", 0) + 1
        log.warning("[%s] %s: %s; retry %d in %.1fs", source, where, reason, attempt, delay)
        sleep(delay)
    raise AssertionError("unreachable")


def _attempts(attempt: int) -> str:
    return f" (after {attempt} attempts)" if attempt > 1 else ""


def _page_of(request: Any) -> str:
    """` (page token …)` when the request asks for a later page, for error messages."""
    query = parse_qs(urlsplit(str(getattr(request, "uri", "") or "")).query)
    token = (query.get("pageToken") or query.get("token") or [None])[0]
    return f" (page token {token[:60]})" if token else ""


def is_retryable(exc: Any) -> bool:
    """429, 5xx, and 403 with reason rateLimitExceeded/userRateLimitExceeded (Google's quota signal)."""
    status = getattr(exc, "status_code", None)
    return status in RETRYABLE_STATUS or (status == 403 and bool(error_reasons(exc) & RATE_LIMIT_REASONS))


def error_reasons(exc: Any) -> set[str]:
    """The `reason` of each error detail of a googleapiclient HttpError."""
    try:
        details = exc.error_details or []
    except Exception:  # noqa: BLE001 - an unparseable body simply has no reasons
        return set()
    if not isinstance(details, list):
        return set()
    return {str(d.get("reason")) for d in details if isinstance(d, dict) and d.get("reason")}


def _error_text(exc: Any) -> str:
    try:
        reasons = ", ".join(sorted(error_reasons(exc)))
        return str(exc.reason)[:300] + (f" ({reasons})" if reasons else "")
    except Exception:  # noqa: BLE001 - never let error formatting hide the error
        return "no detail"


def format_rfc3339(value: datetime) -> str:
    """UTC RFC 3339 with microseconds and a Z, the form Google filters accept."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def overlap(config: dict[str, Any], default_minutes: float) -> timedelta:
    return timedelta(minutes=float(config.get("overlap_minutes", default_minutes)))


def later_timestamp(current: str | None, candidate: datetime | str | None) -> str | None:
    """The later of two timestamps as RFC 3339 text (what cursors store); None-tolerant."""
    cand = parse_utc(candidate) if isinstance(candidate, str) else candidate
    cur = parse_utc(current)
    if cand is None:
        return current
    if cur is None or cand > cur:
        return format_rfc3339(cand)
    return current


class GoogleSource(FeedbackSource):
    """Shared set-up of the Google sources: credentials, retry policy, and the discovery client.

    Subclasses that use google-api-python-client set `api`, `api_version`, `scopes` and
    `default_endpoint`; the client is built once, lazily, from the bundled discovery document.
    """

    api: str = ""
    api_version: str = ""
    scopes: tuple[str, ...] = ()
    default_endpoint: str = ""

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        credentials: Any = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        super().__init__(config)
        self.policy = policy or RetryPolicy.from_config(self.config)
        self._credentials = credentials
        self._sleep = sleep
        self._service: Any = None
        self.stats: dict[str, int] = {}

    @property
    def service(self) -> Any:
        if self._service is None:
            creds = self._credentials or google_credentials(self.name, self.scopes)
            self._service = build_service(self.api, self.api_version, credentials=creds,
                                          api_endpoint=self.config.get("base_url") or self.default_endpoint,
                                          timeout=self.policy.timeout)
        return self._service

    def _cutoff(self, watermark: str | None, since: datetime | None) -> str | None:
        """Where a newest-first listing may stop: the backfill date, else the watermark less the overlap."""
        if since is not None:
            return format_rfc3339(since)
        start = parse_utc(watermark)
        return format_rfc3339(start - overlap(self.config, 60)) if start else None


class NewestFirstReviews(GoogleSource):
    """Reviews listed newest first (Play, Business Profile), paged with a token. Each run pages until a whole
    page is older than the cutoff (`_cutoff`) or the list ends. The watermark (`cursor_key`: the newest
    timestamp seen) only moves once a listing is complete; meanwhile the cursor holds the page token to
    resume from, and a token the API rejects (HTTP 400) restarts the listing from the top.
    Subclasses set `cursor_key` and fetch one page in `_review_page`."""

    cursor_key: str = ""

    def _review_page(self, account: str, page_token: str | None
                     ) -> tuple[list[RawRecord], list[RejectedRecord], str | None]:
        """One page of the listing: its records, its rejects and the next page's token."""
        raise NotImplementedError

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None) -> Iterator[ExtractBatch]:
        cursor = dict(cursor or {})
        watermark = cursor.get(self.cursor_key)
        listing = cursor.get("listing") if since is None else None
        if listing:
            page_token, newest, cutoff_text = listing.get("page_token"), listing.get("max_seen"), listing.get("cutoff")
        else:
            page_token, newest, cutoff_text = None, watermark, self._cutoff(watermark, since)
        cutoff = parse_utc(cutoff_text)
        restarted = False
        while True:
            try:
                records, rejects, next_token = self._review_page(account, page_token)
            except (GoogleRequestFailed, SourceHTTPError) as exc:
                if exc.status == 400 and page_token and not restarted:
                    log.warning("[%s/%s] page token rejected; restarting the listing from the newest review", self.name, account)
                    restarted, page_token = True, None
                    continue
                raise
            for rec in records:
                newest = later_timestamp(newest, rec.source_updated_at)
            page_token = next_token
            past_watermark = bool(records) and cutoff is not None and all(
                rec.source_updated_at is not None and rec.source_updated_at < cutoff for rec in records)
            if page_token and not past_watermark:
                next_cursor = {self.cursor_key: watermark,
                               "listing": {"page_token": page_token, "max_seen": newest, "cutoff": cutoff_text}}
                yield ExtractBatch(records=records, rejects=rejects, cursor=next_cursor)
                continue
            yield ExtractBatch(records=records, rejects=rejects, cursor={self.cursor_key: later_timestamp(watermark, newest)})
            return
