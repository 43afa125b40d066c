"""Google Business Profile reviews, one account per location, over the My Business v4 REST API.

google-api-python-client bundles no `mybusiness` v4 discovery document, so this source calls
`GET /v4/accounts/{a}/locations/{l}/reviews` through our `ApiClient` (timeouts, retries,
Retry-After) with a google-auth bearer token, refreshed once on a 401.

Listing is `orderBy=updateTime desc` with `pageToken`; each run pages until a whole page is
older than the watermark minus an overlap (or the list ends), so edited reviews come back and
upsert by `reviewId`. As with Play, the watermark (`update_time`, the newest review
`updateTime` seen) only moves once a listing is complete; meanwhile the cursor holds the page
token to resume from, and a token the API rejects (HTTP 400) restarts from the top.
The payload is the review exactly as listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from cfm.sources.base import RawRecord, RejectedRecord, SourceError
from cfm.sources.google_api import (
    NewestFirstReviews,
    google_credentials,
)
from cfm.sources.http import ApiClient
from cfm.sources.timestamps import parse_utc

SCOPES = ("https://www.googleapis.com/auth/business.manage",)
DEFAULT_BASE_URL = "https://mybusiness.googleapis.com/v4/"
MAX_PAGE_SIZE = 50
STAR_RATINGS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}


class GoogleBusinessSource(NewestFirstReviews):
    """Reviews of the configured locations (`accounts/{a}/locations/{l}`), each its own account and cursor."""

    name = "google_business"
    until_cut = "client"  # the API has no filter on a window's end (docs/sources/google_business.md)
    scopes = SCOPES  # REST through ApiClient: v4 has no bundled discovery document
    cursor_key = "update_time"

    _client: ApiClient | None = None

    def accounts(self) -> list[str]:
        locations = []
        for entry in self.config.get("locations") or []:
            name = entry if isinstance(entry, str) else (entry or {}).get("name")
            parts = str(name or "").strip("/").split("/")
            if len(parts) != 4 or parts[0] != "accounts" or parts[2] != "locations":
                raise SourceError(self.name, f"location {name!r} must look like accounts/<id>/locations/<id>")
            locations.append("/".join(parts))
        return locations

    @property
    def client(self) -> ApiClient:
        if self._client is None:
            creds = self._credentials or google_credentials(self.name, SCOPES)
            self._client = ApiClient(self.name, self.config.get("base_url") or DEFAULT_BASE_URL,
                                     headers=_bearer(creds, refresh=False), policy=self.policy, sleep=self._sleep,
                                     auth_refresh=(lambda: _bearer(creds, refresh=True)) if _refreshable(creds) else None)
        return self._client

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        return parse_reviews(account, [payload["review"] if set(payload) == {"review"} else dict(payload)])

    def _review_page(self, account: str, page_token: str | None
                     ) -> tuple[list[RawRecord], list[RejectedRecord], str | None]:
        path = "/".join(quote(part, safe="") for part in account.split("/")) + "/reviews"
        page_size = min(int(self.config.get("page_size", MAX_PAGE_SIZE)), MAX_PAGE_SIZE)
        params: dict[str, Any] = {"pageSize": page_size, "orderBy": "updateTime desc"}
        if page_token:
            params["pageToken"] = page_token
        page = self.client.get_json(path, params=params)
        return *parse_reviews(account, page.get("reviews") or []), page.get("nextPageToken")


def _refreshable(creds: Any) -> bool:
    return bool(getattr(creds, "refresh_token", None)) or hasattr(creds, "service_account_email")


def _bearer(creds: Any, *, refresh: bool) -> dict[str, str]:
    """The Authorization header for google-auth credentials, refreshing the token when needed."""
    if refresh or (not creds.valid and _refreshable(creds)):
        from google.auth.transport.requests import Request

        creds.refresh(Request())
    return {"Authorization": f"Bearer {creds.token}"}


def star_rating(value: Any) -> int | None:
    """The v4 enum ONE..FIVE as 1..5; STAR_RATING_UNSPECIFIED or anything else -> None."""
    return STAR_RATINGS.get(str(value or "").upper())


def parse_reviews(account: str, reviews: list[Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
    """Key each review by reviewId (else the last segment of `name`); one with no id or updateTime is quarantined."""
    records: list[RawRecord] = []
    rejects: list[RejectedRecord] = []
    for position, review in enumerate(reviews):
        if not isinstance(review, dict):
            rejects.append(RejectedRecord("google_business", account, f"position {position}", "review",
                                          "a review must be a JSON object", {"review": review}))
            continue
        review_id = str(review.get("reviewId") or "").strip()
        if not review_id and "/reviews/" in str(review.get("name") or ""):
            review_id = str(review["name"]).rsplit("/", 1)[-1].strip()
        if not review_id:
            rejects.append(RejectedRecord("google_business", account, f"position {position}", "reviewId",
                                          "required field 'reviewId' (or 'name') is missing or empty", review))
            continue
        updated = parse_utc(review.get("updateTime")) or parse_utc(review.get("createTime"))
        if updated is None:
            rejects.append(RejectedRecord("google_business", account, review_id, "updateTime",
                                          "required field 'updateTime' is missing or not RFC 3339", review))
            continue
        records.append(RawRecord("google_business", account, review_id, review, updated))
    return records, rejects
