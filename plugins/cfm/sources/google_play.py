"""Google Play reviews, one account per app package, through google-api-python-client (androidpublisher v3).

`reviews.list` returns only reviews created or modified in about the last week, newest
`lastModified` first, paged with `token` -> `tokenPagination.nextPageToken`. Each run pages
until a whole page is older than the watermark minus an overlap (or the list ends), so edits
(a newer `userComment.lastModified`, possibly a new star rating) and developer replies re-read
the review, which upserts by `reviewId`. Run at least daily: anything older than the API's
window is gone from it.

The watermark (`last_modified`, the newest lastModified seen, user comment or developer
reply) only moves once a listing is complete, because the list is newest-first: while one
is in progress the cursor holds the page token to resume from. A token the API rejects
(HTTP 400) restarts the listing from the top. The payload is the review exactly as listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from cfm.sources.base import RawRecord, RejectedRecord, SourceError
from cfm.sources.google_api import (
    NewestFirstReviews,
    execute,
)

SCOPES = ("https://www.googleapis.com/auth/androidpublisher",)
DEFAULT_ENDPOINT = "https://androidpublisher.googleapis.com/"


class GooglePlaySource(NewestFirstReviews):
    """Reviews of the configured apps; each package name is an account with its own cursor."""

    name = "google_play"
    until_cut = "client"  # the API has no filter on a window's end (docs/sources/google_play.md)
    api = "androidpublisher"
    api_version = "v3"
    scopes = SCOPES
    default_endpoint = DEFAULT_ENDPOINT
    cursor_key = "last_modified"

    def accounts(self) -> list[str]:
        apps = []
        for entry in self.config.get("apps") or []:
            package = entry if isinstance(entry, str) else (entry or {}).get("package")
            if not package:
                raise SourceError(self.name, "every entry of sources.google_play.apps needs a package name")
            apps.append(str(package))
        return apps

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        return parse_reviews(account, [payload["review"] if set(payload) == {"review"} else dict(payload)])

    def _review_page(self, account: str, page_token: str | None
                     ) -> tuple[list[RawRecord], list[RejectedRecord], str | None]:
        args: dict[str, Any] = {"packageName": account, "maxResults": int(self.config.get("page_size", 100))}
        if page_token:
            args["token"] = page_token
        if self.config.get("translation_language"):
            args["translationLanguage"] = self.config["translation_language"]
        page = execute(self.service.reviews().list(**args), source=self.name, what=f"reviews.list {account}",
                       policy=self.policy, sleep=self._sleep, stats=self.stats)
        return *parse_reviews(account, page.get("reviews") or []), (page.get("tokenPagination") or {}).get("nextPageToken")


def play_timestamp(value: Any) -> datetime | None:
    """`{"seconds": "1714557600", "nanos": 512000000}` (seconds as a string or int) -> aware UTC."""
    if not isinstance(value, Mapping):
        return None
    try:
        seconds = int(str(value.get("seconds")))
        nanos = int(value.get("nanos") or 0)
    except (TypeError, ValueError):
        return None
    try:
        return datetime.fromtimestamp(seconds, UTC).replace(microsecond=max(0, min(nanos // 1000, 999_999)))
    except (OverflowError, OSError, ValueError):  # seconds beyond what a datetime holds: not a timestamp
        return None


def review_times(review: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """(user comment lastModified, developer reply lastModified) of a review, either may be None."""
    user = reply = None
    comments = review.get("comments")
    for comment in comments if isinstance(comments, list) else []:
        if not isinstance(comment, Mapping):
            continue
        if isinstance(comment.get("userComment"), Mapping):
            user = _max(user, play_timestamp(comment["userComment"].get("lastModified")))
        if isinstance(comment.get("developerComment"), Mapping):
            reply = _max(reply, play_timestamp(comment["developerComment"].get("lastModified")))
    return user, reply


def parse_reviews(account: str, reviews: list[Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
    """Key each review by reviewId; one without an id or a dated user comment goes to quarantine."""
    records: list[RawRecord] = []
    rejects: list[RejectedRecord] = []
    for position, review in enumerate(reviews):
        if not isinstance(review, dict):
            rejects.append(RejectedRecord("google_play", account, f"position {position}", "review",
                                          "a review must be a JSON object", {"review": review}))
            continue
        raw_id = review.get("reviewId")
        review_id = str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else ""
        if not review_id:
            rejects.append(RejectedRecord("google_play", account, f"position {position}", "reviewId",
                                          "required field 'reviewId' is missing, empty or not a string", review))
            continue
        user, reply = review_times(review)
        if user is None:
            rejects.append(RejectedRecord("google_play", account, review_id, "comments.userComment.lastModified",
                                          "no user comment with a valid lastModified {seconds, nanos}", review))
            continue
        records.append(RawRecord("google_play", account, review_id, review, _max(user, reply)))
    return records, rejects


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)
