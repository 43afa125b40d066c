"""A fake Trustpilot Business Units API (v1) for tests and the demo.

Speaks `GET /v1/business-units/{id}/reviews` and `GET /v1/private/business-units/{id}/reviews`
with page/perPage/orderBy/stars/language, the `apikey` header (or `?apikey=`) and, for the
private endpoint, a Bearer token. Unknown business unit -> 404; bad key -> 401; page < 1
or perPage outside 1..100 -> 400. Pages carry `links` with rel `next-page`/`prev-page`.

The dataset is `{business_unit_id: [review, ...]}`, mutable while the server runs
(add or edit reviews between syncs). `max_page` simulates a paging limit (400 beyond it).
A review with `"_hidden": true` holds its place in the paging but is never served.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cfm.testing.fake_api import FakeApiServer, Request, Response

API_KEY = "demo-trustpilot-api-key-not-secret"
ACCESS_TOKEN = "demo-trustpilot-access-token-not-secret"
ORDERINGS = ("createdat.desc", "createdat.asc", "stars.desc", "stars.asc")


def _created(review: dict[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(str(review.get("createdAt"))).astimezone(UTC)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _error(status: int, message: str) -> Response:
    return Response(status, {"message": message, "errorCode": status})


def build_server(
    dataset: dict[str, list[dict[str, Any]]],
    *,
    api_key: str = API_KEY,
    access_token: str = ACCESS_TOKEN,
    max_page: int | None = None,
) -> FakeApiServer:
    """A server over `dataset` (not started; use it as a context manager). Its API base is `base_url + "/v1"`."""
    server = FakeApiServer()

    def reviews(req: Request, private: bool) -> Response:
        if (req.headers.get("apikey") or req.arg("apikey")) != api_key:
            return _error(401, "Invalid or missing apikey")
        if private and req.headers.get("authorization") != f"Bearer {access_token}":
            return _error(401, "Unauthorized: missing or invalid access token")
        unit = req.match["unit"]
        if unit not in dataset:
            return _error(404, "Business unit not found")
        try:
            page = int(req.arg("page", "1"))
            per_page = int(req.arg("perPage", "20"))
        except ValueError:
            return _error(400, "page and perPage must be integers")
        order = req.arg("orderBy", "createdat.desc")
        if page < 1 or not 1 <= per_page <= 100 or order not in ORDERINGS:
            return _error(400, "Invalid page, perPage or orderBy")
        if max_page is not None and page > max_page:
            return _error(400, f"page must be at most {max_page}")
        items = list(dataset[unit])
        if req.arg("stars"):
            wanted = {int(s) for s in req.arg("stars", "").split(",") if s.strip().isdigit()}
            items = [r for r in items if r.get("stars") in wanted]
        language = req.arg("language", "all")
        if language != "all":
            items = [r for r in items if r.get("language") == language]
        field, direction = order.split(".")
        key = (lambda r: (_created(r), str(r.get("id")))) if field == "createdat" else \
            (lambda r: (r.get("stars") or 0, _created(r)))
        items.sort(key=key, reverse=direction == "desc")
        # A review marked `_hidden` (removed or filtered after paging was counted) keeps its place
        # in the paging but is not served: pages come back short or empty and still link onwards.
        chunk = [r for r in items[(page - 1) * per_page: page * per_page] if not r.get("_hidden")]
        if not private:
            chunk = [{k: v for k, v in r.items() if k not in ("referralEmail", "referenceId")} for r in chunk]
        prefix = "/private" if private else ""
        href = f"{server.base_url}/v1{prefix}/business-units/{unit}/reviews?perPage={per_page}&orderBy={order}&page="
        links = []
        if page * per_page < len(items):
            links.append({"href": f"{href}{page + 1}", "method": "GET", "rel": "next-page"})
        if page > 1:
            links.append({"href": f"{href}{page - 1}", "method": "GET", "rel": "prev-page"})
        return Response(200, {"reviews": chunk, "links": links})

    server.route("GET", r"/v1/business-units/(?P<unit>[^/]+)/reviews")(lambda req: reviews(req, False))
    server.route("GET", r"/v1/private/business-units/(?P<unit>[^/]+)/reviews")(lambda req: reviews(req, True))
    return server


def load_dataset(sample_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """`reviews_<business unit id>.json` files (`{"reviews": [...]}`) -> dataset."""
    dataset: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(Path(sample_dir).glob("reviews_*.json")):
        unit = path.stem.removeprefix("reviews_")
        dataset[unit] = json.loads(path.read_text(encoding="utf-8"))["reviews"]
    return dataset


def demo_server(sample_dir: Path) -> FakeApiServer:
    """A server over the recorded sample reviews in `sample_dir` (sample_data/api/trustpilot)."""
    return build_server(load_dataset(sample_dir))


def demo_config(base_url: str) -> dict[str, Any]:
    """The cfm.yml `sources.trustpilot` section for the demo server at `base_url`."""
    return {"enabled": True, "base_url": f"{base_url}/v1", "private": True,
            "business_units": ["5f0c1d2e3a4b5c6d7e8f9012", "5f0c1d2e3a4b5c6d7e8f9034"]}


def demo_credentials() -> dict[str, str]:
    """Environment variables the demo needs (obviously fake values)."""
    return {"CFM_TRUSTPILOT_API_KEY": API_KEY, "CFM_TRUSTPILOT_ACCESS_TOKEN": ACCESS_TOKEN}
