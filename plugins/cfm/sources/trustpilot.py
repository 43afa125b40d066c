"""Trustpilot service reviews of one or more business units, with the company's replies.

Each business unit is an account with its own cursor. Reviews are read newest first
(`orderBy=createdat.desc`, `perPage` up to 100), following the `next-page` link while there
is one (an empty page with a link is followed), and paging stops once a page reaches
reviews created before the stop point:

* first run, or a full re-scan due (`full_rescan_days`): no stop point, every page;
* otherwise: `min(watermark - overlap, now - rescan_days)`, so edits (`updatedAt`) and
  new company replies on reviews up to `rescan_days` old are picked up again;
* a backfill (`since`): that date.

Re-read reviews upsert by id, so the overlap costs calls, never duplicates. Because the
scan goes newest first, the watermark only moves when a scan completes; the batches in
between save a `resume` point (next page, highest createdAt so far) so a crashed sync
continues where it stopped. Page numbers shift when reviews arrive meanwhile: the pages
re-read are harmless, and if the API refuses the saved page the scan restarts at page 1.

The payload is the review object exactly as received (unknown fields kept).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from cfm.sources.base import ExtractBatch, RawRecord, RejectedRecord, SourceError
from cfm.sources.credentials import credential
from cfm.sources.http import RetryPolicy, SourceHTTPError
from cfm.sources.rest_api import RestApiSource
from cfm.sources.timestamps import parse_utc, utc_z

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.trustpilot.com/v1"
MAX_PER_PAGE = 100


def review_updated_at(review: Mapping[str, Any]) -> datetime | None:
    """The latest change to a review: its own edit, or the company reply's creation or edit."""
    reply = review.get("companyReply") if isinstance(review.get("companyReply"), Mapping) else {}
    stamps = [parse_utc(review.get("createdAt")), parse_utc(review.get("updatedAt")),
              parse_utc(reply.get("createdAt")), parse_utc(reply.get("updatedAt"))]
    known = [s for s in stamps if s is not None]
    return max(known) if known else None


def parse_reviews_page(
    source: str, account: str, page: int, reviews: list[Any]
) -> tuple[list[RawRecord], list[RejectedRecord], list[datetime]]:
    """Split one page of reviews into records and rejects; also return the createdAt of every good record.

    Required: `id` (the key), `createdAt` (the watermark) and `stars` (the rating).
    """
    records: list[RawRecord] = []
    rejects: list[RejectedRecord] = []
    created: list[datetime] = []
    for index, review in enumerate(reviews, start=1):
        position = f"page {page} item {index}"
        if not isinstance(review, Mapping):
            rejects.append(RejectedRecord(source, account, position, "review", "review is not a JSON object", {"value": review}))
            continue
        raw_id = review.get("id")
        review_id = str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else ""
        ref = review_id or position
        if not review_id:
            rejects.append(RejectedRecord(source, account, ref, "id", "required field 'id' is missing or empty", dict(review)))
            continue
        created_at = parse_utc(review.get("createdAt"))
        if created_at is None:
            reason = "required field 'createdAt' is missing" if review.get("createdAt") is None else \
                f"field 'createdAt' is not an ISO 8601 timestamp: {str(review.get('createdAt'))[:40]!r}"
            rejects.append(RejectedRecord(source, account, ref, "createdAt", reason, dict(review)))
            continue
        if review.get("stars") is None:
            rejects.append(RejectedRecord(source, account, ref, "stars", "required field 'stars' is missing", dict(review)))
            continue
        records.append(RawRecord(source, account, review_id, dict(review), review_updated_at(review)))
        created.append(created_at)
    return records, rejects, created


class TrustpilotSource(RestApiSource):
    """Reviews of the configured business units (see docs/sources/trustpilot.md)."""

    name = "trustpilot"
    until_cut = "client"  # the API has no filter on a window's end (docs/sources/trustpilot.md)
    default_base_url = DEFAULT_BASE_URL

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        policy: RetryPolicy | None = None,
        now: Callable[[], datetime] | None = None,
    ):
        super().__init__(config, sleep=sleep, policy=policy)
        self._now = now or (lambda: datetime.now(UTC))

    # -- config ---------------------------------------------------------------------------

    def accounts(self) -> list[str]:
        units = self.config.get("business_units") or []
        if not units:
            raise SourceError(self.name, "sources.trustpilot.business_units is empty: list the business unit ids to read")
        return [str(u["id"]) if isinstance(u, Mapping) else str(u) for u in units]

    @property
    def per_page(self) -> int:
        return max(1, min(MAX_PER_PAGE, int(self.config.get("per_page", MAX_PER_PAGE))))

    @property
    def private(self) -> bool:
        return bool(self.config.get("private", False))

    def auth_headers(self) -> dict[str, str]:
        headers = {"apikey": credential(self.name, "api_key")}
        if self.private:
            headers["Authorization"] = f"Bearer {credential(self.name, 'access_token')}"
        return headers

    # -- the scan -------------------------------------------------------------------------

    def _reviews_path(self, account: str) -> str:
        prefix = "private/" if self.private else ""
        return f"{prefix}business-units/{account}/reviews"

    def _fetch(self, account: str, page: int) -> tuple[list[Any], bool | None]:
        """The reviews of one page, and whether a `next-page` link follows (None: the answer has no `links`)."""
        params = {"page": page, "perPage": self.per_page, "orderBy": "createdat.desc",
                  "language": self.config.get("language", "all")}
        if self.config.get("include_reported_reviews") is not None:
            params["includeReportedReviews"] = str(bool(self.config["include_reported_reviews"])).lower()
        data = self.api().get_json(self._reviews_path(account), params=params)
        reviews = data.get("reviews") if isinstance(data, Mapping) else None
        if not isinstance(reviews, list):
            raise SourceError(self.name, f"business unit {account} page {page}: response has no 'reviews' list")
        links = data.get("links")
        if not isinstance(links, list):
            return reviews, None
        return reviews, any(isinstance(link, Mapping) and link.get("rel") == "next-page" for link in links)

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        review = payload.get("value", payload) if set(payload) == {"value"} else payload
        records, rejects, _ = parse_reviews_page(self.name, account, 0, [review])
        return records, rejects

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None) -> Iterator[ExtractBatch]:
        """One batch per page of reviews, newest first, down to the stop point (module docstring)."""
        state = ScanState.from_cursor(self.name, account, cursor)
        now = self._now()
        resume = state.resume if since is None else None
        # A page number only means something with the page size it was counted in.
        if resume and isinstance(resume["at"], int) and resume["at"] > 1 and resume.get("per_page") == self.per_page:
            page, stop_at, high, full = resume["at"], resume["stop_at"], resume["high"], resume["full"]
            log.info("[trustpilot/%s] resuming the interrupted scan at page %d", account, page)
        else:
            page, high = 1, state.watermark
            stop_at, full = state.stop_point(self.config, now, since, default_rescan_days=30, default_full_days=7)
        resumed_page = page if page > 1 else None
        while True:
            try:
                reviews, has_next = self._fetch(account, page)
            except SourceHTTPError as exc:
                # The saved page is no longer served (paging limits, page out of range): start over.
                # A refusal in the middle of a fresh scan is a real error and fails the sync.
                if exc.status in (400, 404) and page == resumed_page:
                    log.warning("[trustpilot/%s] saved page %d refused (HTTP %s); restarting the scan at page 1",
                                account, page, exc.status)
                    page, resumed_page = 1, None
                    continue
                raise
            records, rejects, created = parse_reviews_page(self.name, account, page, reviews)
            if created:
                high = max([high, *created]) if high else max(created)
            reached_stop = stop_at is not None and bool(created) and min(created) < stop_at
            # The next-page link is the protocol's continuation: an empty or short page that still
            # carries one (filtered or removed reviews) is followed. Page fullness decides only when
            # the answer has no links at all.
            continues = has_next if has_next is not None else len(reviews) >= self.per_page
            more = continues and not reached_stop
            if more:
                next_cursor = state.as_cursor(resume={"at": page + 1, "per_page": self.per_page, "high": utc_z(high),
                                                     "stop_at": utc_z(stop_at), "full": full})
            else:
                next_cursor = state.finished(high, now if full else None)
            yield ExtractBatch(records=records, rejects=rejects, cursor=next_cursor)
            if not more:
                return
            page += 1


class ScanState:
    """The saved cursor: watermark (highest creation time stored), last full scan, and an optional resume point.

    `resume.at` is where the interrupted scan goes on: a page number (Trustpilot) or the
    API's own next-page link (App Store). Shared by both review sources.
    """

    def __init__(self, watermark: datetime | None, last_full_scan_at: datetime | None, resume: dict[str, Any] | None):
        self.watermark = watermark
        self.last_full_scan_at = last_full_scan_at
        self.resume = resume

    @classmethod
    def from_cursor(cls, source: str, account: str, cursor: Mapping[str, Any] | None) -> ScanState:
        """Read a saved cursor; an unreadable one means a full re-scan (logged), never a failed sync."""
        if not cursor:
            return cls(None, None, None)
        watermark = parse_utc(cursor.get("watermark"))
        if cursor.get("watermark") is not None and watermark is None:
            log.warning("[%s/%s] saved cursor has an unreadable watermark; scanning every review again", source, account)
            return cls(None, None, None)
        resume = cursor.get("resume")
        parsed_resume = None
        if isinstance(resume, Mapping):
            try:
                at = resume["at"]
                if not isinstance(at, (int, str)) or isinstance(at, bool) or at in ("", 0):
                    raise ValueError
                parsed_resume = {"at": at, "per_page": resume.get("per_page"), "high": parse_utc(resume.get("high")),
                                 "stop_at": parse_utc(resume.get("stop_at")), "full": bool(resume.get("full"))}
            except (KeyError, TypeError, ValueError):
                log.warning("[%s/%s] saved resume point is unreadable; starting the scan from page 1", source, account)
                parsed_resume = None
        return cls(watermark, parse_utc(cursor.get("last_full_scan_at")), parsed_resume)

    def stop_point(
        self, config: Mapping[str, Any], now: datetime, since: datetime | None, *, default_rescan_days: int, default_full_days: int
    ) -> tuple[datetime | None, bool]:
        """Where a new scan stops (None = read every page), and whether it is a full scan."""
        if since is not None:
            return (since if since.tzinfo else since.replace(tzinfo=UTC)).astimezone(UTC), False
        full_days = float(config.get("full_rescan_days", default_full_days) or 0)
        if self.watermark is None:
            return None, True
        if full_days and (self.last_full_scan_at is None or now - self.last_full_scan_at >= timedelta(days=full_days)):
            return None, True
        overlap = timedelta(minutes=float(config.get("overlap_minutes", 60)))
        rescan = timedelta(days=float(config.get("rescan_days", default_rescan_days)))
        return min(self.watermark - overlap, now - rescan), False

    def as_cursor(self, *, resume: dict[str, Any] | None = None) -> dict[str, Any]:
        cursor: dict[str, Any] = {"watermark": utc_z(self.watermark), "last_full_scan_at": utc_z(self.last_full_scan_at)}
        if resume:
            cursor["resume"] = resume
        return cursor

    def finished(self, high: datetime | None, full_scan_at: datetime | None) -> dict[str, Any]:
        """The cursor once a scan has reached its stop point: the watermark moves, the resume point goes."""
        watermark = max(w for w in (self.watermark, high) if w) if (self.watermark or high) else None
        return {"watermark": utc_z(watermark), "last_full_scan_at": utc_z(full_scan_at or self.last_full_scan_at)}
