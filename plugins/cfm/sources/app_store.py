"""App Store Connect customer reviews of one or more apps, with the developer responses.

Each app (numeric Apple ID) is an account with its own cursor. Reviews are read newest
first (`sort=-createdDate`, `limit` up to 200, `include=response`) following `links.next`
until the stop point, with the same cursor rules as Trustpilot (see
`cfm.sources.trustpilot.ScanState`): full scan on the first run and every
`full_rescan_days`; otherwise down to `min(watermark - overlap, now - rescan_days)`
(Apple does not say whether an edited review keeps its createdDate, so a trailing window
is re-read every run); a backfill reads down to `since`.

Between batches the cursor keeps the API's next-page link as the resume point (its
opaque `cursor` parameter, never a credential). When Apple no longer accepts it (400/404:
expired paging cursor) the scan restarts from the newest review; re-read reviews upsert.

`createdDate` carries the reviewer's local offset (e.g. -07:00); timestamps are
normalised to UTC for the watermark and `source_updated_at`, and the payload keeps them
as received. Payload: `{"review": <customerReviews resource>, "response":
<customerReviewResponses resource or null>}`, both exactly as received.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cfm.sources.app_store_auth import AppStoreToken
from cfm.sources.base import ExtractBatch, RawRecord, RejectedRecord, SourceError
from cfm.sources.credentials import credential
from cfm.sources.http import RetryPolicy, SourceHTTPError
from cfm.sources.rest_api import RestApiSource
from cfm.sources.timestamps import parse_utc, utc_z
from cfm.sources.trustpilot import ScanState

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.appstoreconnect.apple.com/v1"
MAX_LIMIT = 200
REVIEW_TYPE = "customerReviews"
RESPONSE_TYPE = "customerReviewResponses"


def parse_reviews_document(
    source: str, account: str, page: int, document: Mapping[str, Any]
) -> tuple[list[RawRecord], list[RejectedRecord], list[datetime]]:
    """Split one JSON:API page into records (review + its included response) and rejects.

    Required: `id`, `attributes.createdDate` (the watermark) and `attributes.rating`.
    Also returns the UTC createdDate of every good record.
    """
    included = {
        (item.get("type"), item.get("id")): item
        for item in document.get("included") or []
        if isinstance(item, Mapping)
    }
    records: list[RawRecord] = []
    rejects: list[RejectedRecord] = []
    created: list[datetime] = []
    for index, review in enumerate(document.get("data") or [], start=1):
        position = f"page {page} item {index}"
        if not isinstance(review, Mapping):
            rejects.append(RejectedRecord(source, account, position, "review", "review is not a JSON object", {"value": review}))
            continue
        review_id = str(review.get("id") or "").strip()
        ref = review_id or position
        attributes = review.get("attributes") if isinstance(review.get("attributes"), Mapping) else {}
        response = _response_of(review, included)
        payload = {"review": dict(review), "response": response}
        if not review_id:
            rejects.append(RejectedRecord(source, account, ref, "id", "required field 'id' is missing or empty", payload))
            continue
        created_at = parse_utc(attributes.get("createdDate"))
        if created_at is None:
            raw = attributes.get("createdDate")
            reason = "required field 'attributes.createdDate' is missing" if raw is None else \
                f"field 'attributes.createdDate' is not an ISO 8601 timestamp: {str(raw)[:40]!r}"
            rejects.append(RejectedRecord(source, account, ref, "attributes.createdDate", reason, payload))
            continue
        if attributes.get("rating") is None:
            rejects.append(RejectedRecord(source, account, ref, "attributes.rating",
                                          "required field 'attributes.rating' is missing", payload))
            continue
        updated = [created_at]
        if response:
            modified = parse_utc((response.get("attributes") or {}).get("lastModifiedDate"))
            if modified:
                updated.append(modified)
        records.append(RawRecord(source, account, review_id, payload, max(updated)))
        created.append(created_at)
    return records, rejects, created


def _response_of(review: Mapping[str, Any], included: Mapping[tuple[Any, Any], Mapping[str, Any]]) -> dict[str, Any] | None:
    relationships = review.get("relationships") if isinstance(review.get("relationships"), Mapping) else {}
    rel = relationships.get("response") if isinstance(relationships.get("response"), Mapping) else {}
    data = rel.get("data")
    if isinstance(data, Mapping) and data.get("id"):
        found = included.get((data.get("type") or RESPONSE_TYPE, data.get("id")))
        return dict(found) if found else None
    return None


def parse_rate_limit(header: str | None) -> dict[str, int]:
    """Apple's `X-Rate-Limit: user-hour-lim:3600;user-hour-rem:3512;` as {"user-hour-lim": 3600, ...}."""
    limits: dict[str, int] = {}
    for part in (header or "").split(";"):
        name, _, value = part.partition(":")
        if name.strip() and value.strip().isdigit():
            limits[name.strip()] = int(value.strip())
    return limits


def next_link(document: Mapping[str, Any]) -> str | None:
    links = document.get("links")
    value = links.get("next") if isinstance(links, Mapping) else None
    return value if isinstance(value, str) and value else None


class AppStoreSource(RestApiSource):
    """Customer reviews of the configured apps (see docs/sources/app_store.md)."""

    name = "app_store"
    until_cut = "client"  # the API has no filter on a window's end (docs/sources/app_store.md)
    default_base_url = DEFAULT_BASE_URL

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        policy: RetryPolicy | None = None,
        now: Callable[[], datetime] | None = None,
        clock: Callable[[], float] = time.time,
    ):
        super().__init__(config, sleep=sleep, policy=policy)
        self._now = now or (lambda: datetime.now(UTC))
        self._clock = clock
        self._token: AppStoreToken | None = None
        #: The last `X-Rate-Limit` header seen, parsed (logged when under 10% is left).
        self.rate_limit: dict[str, int] = {}

    def accounts(self) -> list[str]:
        apps = self.config.get("apps") or []
        if not apps:
            raise SourceError(self.name, "sources.app_store.apps is empty: list the numeric Apple IDs of the apps to read")
        return [str(a["id"]) if isinstance(a, Mapping) else str(a) for a in apps]

    @property
    def limit(self) -> int:
        return max(1, min(MAX_LIMIT, int(self.config.get("page_size", MAX_LIMIT))))

    @property
    def token(self) -> AppStoreToken:
        if self._token is None:
            self._token = AppStoreToken(
                self.name,
                credential(self.name, "issuer_id"),
                credential(self.name, "key_id"),
                credential(self.name, "private_key"),
                lifetime_seconds=int(self.config.get("token_lifetime_seconds", 900)),
                clock=self._clock,
            )
        return self._token

    def auth_refresher(self) -> Callable[[], Mapping[str, str]]:
        # The bearer token is set before each call (`_get`); a 401 mints a new one.
        return self.token.refreshed_header

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        api = self.api()
        api.session.headers.update(self.token.auth_header())  # re-minted here when close to expiry
        document, response = api.fetch_json("GET", path, params=params)
        self.rate_limit = parse_rate_limit(response.headers.get("X-Rate-Limit"))
        remaining, limit = self.rate_limit.get("user-hour-rem"), self.rate_limit.get("user-hour-lim")
        if remaining is not None and limit and remaining < limit // 10:
            log.warning("[app_store] %d of %d API calls left in this hour", remaining, limit)
        if not isinstance(document, Mapping) or not isinstance(document.get("data"), list):
            raise SourceError(self.name, f"{urlsplit(path).path}: response has no 'data' list")
        return document

    def _first_page(self, account: str) -> tuple[str, dict[str, Any]]:
        params: dict[str, Any] = {"sort": "-createdDate", "limit": self.limit, "include": "response"}
        for key in ("territory", "rating"):
            if self.config.get(key):
                value = self.config[key]
                params[f"filter[{key}]"] = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        return f"apps/{account}/customerReviews", params

    def _rebased(self, link: str) -> str:
        """The next link on the configured host: the bearer token only ever goes to base_url."""
        base = urlsplit(self.api().base_url)
        parts = urlsplit(link)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        review = payload.get("review", payload.get("value"))
        response = payload.get("response")
        document = {"data": [review], "included": [response] if isinstance(response, Mapping) else []}
        records, rejects, _ = parse_reviews_document(self.name, account, 0, document)
        return records, rejects

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None) -> Iterator[ExtractBatch]:
        """One batch per page of reviews, newest first, down to the stop point (module docstring)."""
        state = ScanState.from_cursor(self.name, account, cursor)
        now = self._now()
        resume = state.resume if since is None else None
        link: str | None = None
        if resume and isinstance(resume["at"], str):
            link, stop_at, high, full = resume["at"], resume["stop_at"], resume["high"], resume["full"]
            log.info("[app_store/%s] resuming the interrupted scan from the saved next link", account)
        else:
            high = state.watermark
            stop_at, full = state.stop_point(self.config, now, since, default_rescan_days=7, default_full_days=30)
        page, restarts = 1, 0
        while True:
            try:
                document = self._get(self._rebased(link)) if link else self._get(*self._first_page(account))
            except SourceHTTPError as exc:
                # An expired or invalid paging cursor: Apple answers 400 (or 404); start again from the newest.
                if link and exc.status in (400, 404) and restarts < 2:
                    log.warning("[app_store/%s] next link refused (HTTP %s); restarting the scan from the newest review",
                                account, exc.status)
                    link, restarts = None, restarts + 1
                    continue
                raise
            records, rejects, created = parse_reviews_document(self.name, account, page, document)
            if created:
                high = max([high, *created]) if high else max(created)
            reached_stop = stop_at is not None and bool(created) and min(created) < stop_at
            link = next_link(document)
            more = link is not None and not reached_stop
            if more:
                parts = urlsplit(link)
                saved = urlunsplit(("", "", parts.path, parts.query, ""))
                next_cursor = state.as_cursor(resume={"at": saved, "high": utc_z(high), "stop_at": utc_z(stop_at), "full": full})
            else:
                next_cursor = state.finished(high, now if full else None)
            yield ExtractBatch(records=records, rejects=rejects, cursor=next_cursor)
            if not more:
                return
            page += 1
