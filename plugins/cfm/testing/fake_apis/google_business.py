"""A fake Google Business Profile (My Business v4) `accounts.locations.reviews.list` over an in-memory dataset.

Dataset: {"locations": {"accounts/{a}/locations/{l}": [review, ...]}}. `orderBy` is
`updateTime desc` (default), `rating` or `rating desc`; anything else (ascending updateTime
included) is 400. `pageSize` above 50 is 400. `pageToken` -> `nextPageToken`; a token from
before `dataset["token_epoch"]` was raised is 400 INVALID_ARGUMENT. The list body carries
`averageRating` and `totalReviewCount`. Every call needs `Authorization: Bearer ...` (401 otherwise).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cfm.testing.fake_api import (
    FakeApiServer,
    Request,
    Response,
    google_error,
    recorded_dataset,
    scoped_page_offset,
    scoped_page_token,
)

STARS = {"ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4, "FIVE": 5}



def build_server(dataset: dict[str, Any]) -> FakeApiServer:
    """A server answering for the locations in `dataset` (mutate it between syncs to add or edit reviews)."""
    from cfm.sources.timestamps import parse_utc

    server = FakeApiServer()

    def updated(review: dict[str, Any]) -> float:
        stamp = parse_utc(review.get("updateTime"))
        return stamp.timestamp() if stamp else 0.0

    @server.route("GET", r"/v4/(?P<location>accounts/[^/]+/locations/[^/]+)/reviews")
    def list_reviews(req: Request) -> Response:
        if not req.headers.get("authorization", "").startswith("Bearer "):
            return google_error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        location = req.match["location"]
        if location not in dataset["locations"]:
            return google_error(404, "NOT_FOUND", "Requested entity was not found.")
        reviews = dataset["locations"][location]
        order = req.arg("orderBy") or "updateTime desc"
        if order == "updateTime desc":
            rows = sorted(reviews, key=updated, reverse=True)
        elif order in ("rating", "rating desc"):
            rows = sorted(reviews, key=lambda r: STARS.get(r.get("starRating"), 0), reverse=order.endswith("desc"))
        else:
            return google_error(400, "INVALID_ARGUMENT", f"Invalid orderBy: {order}")
        size = int(req.arg("pageSize") or 50)
        if not 0 < size <= 50:
            return google_error(400, "INVALID_ARGUMENT", "pageSize must be between 1 and 50")
        offset = scoped_page_offset(req.arg("pageToken"), dataset, location=location, order=order)
        if offset is None:
            return google_error(400, "INVALID_ARGUMENT", "Invalid page token.")
        rated = [STARS[r["starRating"]] for r in reviews if r.get("starRating") in STARS]
        body: dict[str, Any] = {"reviews": rows[offset:offset + size], "totalReviewCount": len(reviews),
                                "averageRating": round(sum(rated) / len(rated), 1) if rated else 0}
        if offset + size < len(rows):
            body["nextPageToken"] = scoped_page_token(dataset, offset + size, location=location, order=order)
        return Response(200, body)

    return server


def demo_server(sample_dir: Path) -> FakeApiServer:
    """The fake loaded with the recorded sample payloads; `sample_dir` is sample_data/api or its google_business/ folder."""
    return build_server(recorded_dataset(sample_dir, "google_business"))


def demo_config(base_url: str) -> dict[str, Any]:
    """The cfm.yml `sources.google_business` section for the demo server."""
    return {"enabled": True, "base_url": base_url.rstrip("/") + "/v4/", "page_size": 50, "overlap_minutes": 60,
            "locations": ["accounts/1029384756/locations/5550001", "accounts/1029384756/locations/5550002"]}


def demo_credentials() -> dict[str, str]:
    return {"CFM_GOOGLE_BUSINESS_TOKEN": "fake-google-business-demo-token"}
