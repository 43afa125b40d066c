"""HubSpot CRM contacts and companies (CRM v3 objects API), the customer attributes behind dim_customers.

Each object type (`contacts`, `companies`) is an account with its own cursor. A sync has two
phases, each paged with the API's `after` token:

* live objects: the first run (or `since` = none and no watermark) lists every object with
  `GET /crm/v3/objects/{type}`; later runs ask the search endpoint
  (`POST /crm/v3/objects/{type}/search`) for objects whose last-modified property
  (`lastmodifieddate` for contacts, `hs_lastmodifieddate` for companies) is at or after
  the watermark minus an overlap, oldest first. Search serves at most 10,000 results per
  query, so a scan that reaches that cap starts a new query from the newest time seen.
* deletions: `GET /crm/v3/objects/{type}?archived=true` lists archived objects; those archived
  since the last sync (all of them on the first run) are stored again with `archived: true`,
  which staging turns into `is_deleted` and the dim_customers snapshot closes.

Batches in between save a `resume` point (phase, after token, start time, highest times seen)
so an interrupted sync continues where it stopped; the watermarks only move when a phase
completes. Auth is a private-app access token (`Authorization: Bearer`): CFM_HUBSPOT_TOKEN or
the Airflow connection cfm_hubspot's password. A 429 waits as long as HubSpot's rate-limit
headers say (the ten-second window, or a second for the per-second search limit).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from cfm.sources.base import ExtractBatch, RawRecord, RejectedRecord, SourceError
from cfm.sources.credentials import credential
from cfm.sources.rest_api import RestApiSource
from cfm.sources.timestamps import parse_utc, utc_z

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.hubapi.com"
OBJECT_TYPES = ("contacts", "companies")
#: The property search filters and sorts on: HubSpot names it differently per object type.
MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate"}
#: Requested on every read (HubSpot returns only a few properties unless asked); `properties` in config adds more.
DEFAULT_PROPERTIES = {
    "contacts": ("email", "customer_id", "plan", "region", "tier", "country", "createdate", "lastmodifieddate",
                 "hubspot_owner_id", "associatedcompanyid", "hs_lifetime_value"),
    "companies": ("name", "domain", "plan", "region", "tier", "country", "createdate", "hs_lastmodifieddate",
                  "hubspot_owner_id", "total_revenue"),
}
LIST_PAGE_MAX = 100
SEARCH_PAGE_MAX = 200
#: The search endpoint refuses to page past this many results of one query.
SEARCH_RESULT_CAP = 10_000


def _ms(value: datetime) -> str:
    return str(int(value.timestamp() * 1000))


def parse_objects(source: str, account: str, where: str, objects: list[Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
    """Split one page into records and rejects. Required: `id` and `updatedAt` (`archivedAt` when archived)."""
    records: list[RawRecord] = []
    rejects: list[RejectedRecord] = []
    for index, obj in enumerate(objects, start=1):
        position = f"{where} item {index}"
        if not isinstance(obj, Mapping):
            rejects.append(RejectedRecord(source, account, position, "object", "object is not a JSON object", {"value": obj}))
            continue
        object_id = str(obj.get("id") or "").strip()
        if not object_id:
            rejects.append(RejectedRecord(source, account, position, "id", "required field 'id' is missing or empty", dict(obj)))
            continue
        stamp_field = "archivedAt" if obj.get("archived") else "updatedAt"
        stamp = parse_utc(obj.get(stamp_field))
        if stamp is None:
            rejects.append(RejectedRecord(source, account, object_id, stamp_field,
                                          f"field '{stamp_field}' is missing or not an ISO 8601 timestamp", dict(obj)))
            continue
        records.append(RawRecord(source, account, object_id, dict(obj), stamp))
    return records, rejects


class HubSpotSource(RestApiSource):
    """Contacts and companies of one HubSpot portal (see docs/sources/hubspot.md)."""

    name = "hubspot"
    default_base_url = DEFAULT_BASE_URL

    # -- config ---------------------------------------------------------------------------

    def accounts(self) -> list[str]:
        objects = [str(o) for o in self.config.get("objects") or OBJECT_TYPES]
        unknown = sorted(set(objects) - set(OBJECT_TYPES))
        if unknown:
            raise SourceError(self.name, f"sources.hubspot.objects: unknown object type(s) {', '.join(unknown)}; "
                                         f"known: {', '.join(OBJECT_TYPES)}")
        return objects

    def properties(self, object_type: str) -> list[str]:
        extra = (self.config.get("properties") or {}).get(object_type) or []
        return list(dict.fromkeys([*DEFAULT_PROPERTIES[object_type], *map(str, extra)]))

    @property
    def overlap(self) -> timedelta:
        return timedelta(minutes=float(self.config.get("overlap_minutes", 10)))

    def page_size(self, search: bool) -> int:
        cap = SEARCH_PAGE_MAX if search else LIST_PAGE_MAX
        return max(1, min(cap, int(self.config.get("page_size", LIST_PAGE_MAX))))

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {credential(self.name, 'token')}"}

    def rate_limit_delay(self, response: Any) -> float | None:
        headers = response.headers
        if headers.get("X-HubSpot-RateLimit-Secondly-Remaining") == "0":
            return 1.0
        if headers.get("X-HubSpot-RateLimit-Remaining") == "0" and headers.get("X-HubSpot-RateLimit-Interval-Milliseconds"):
            try:
                return int(headers["X-HubSpot-RateLimit-Interval-Milliseconds"]) / 1000
            except ValueError:
                return None
        return None

    # -- calls ----------------------------------------------------------------------------

    def _list_page(self, object_type: str, after: str | None, *, archived: bool) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": self.page_size(False), "properties": ",".join(self.properties(object_type)),
                                  "archived": str(archived).lower()}
        if after:
            params["after"] = after
        return self._checked(self.api().get_json(f"crm/v3/objects/{object_type}", params=params), object_type)

    def _search_page(self, object_type: str, start: datetime, after: str | None) -> dict[str, Any]:
        prop = MODIFIED_PROPERTY[object_type]
        body: dict[str, Any] = {
            "filterGroups": [{"filters": [{"propertyName": prop, "operator": "GTE", "value": _ms(start)}]}],
            "sorts": [{"propertyName": prop, "direction": "ASCENDING"}],
            "properties": self.properties(object_type),
            "limit": self.page_size(True),
        }
        if after:
            body["after"] = after
        return self._checked(self.api().request_json("POST", f"crm/v3/objects/{object_type}/search", json=body), object_type)

    def _checked(self, data: Any, object_type: str) -> dict[str, Any]:
        if not isinstance(data, Mapping) or not isinstance(data.get("results"), list):
            raise SourceError(self.name, f"{object_type}: response has no 'results' list")
        return dict(data)

    # -- the sync -------------------------------------------------------------------------

    def remap(self, account: str, payload: Mapping[str, Any]) -> tuple[list[RawRecord], list[RejectedRecord]]:
        return parse_objects(self.name, account, "replay", [payload["value"] if set(payload) == {"value"} else dict(payload)])

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None) -> Iterator[ExtractBatch]:
        saved = dict(cursor or {})
        watermark = parse_utc(saved.get("watermark"))
        archived_watermark = parse_utc(saved.get("archived_watermark"))
        resume = saved.get("resume") if since is None and isinstance(saved.get("resume"), Mapping) else None

        def cursor_with(resume_point: dict[str, Any] | None) -> dict[str, Any]:
            out: dict[str, Any] = {"watermark": utc_z(watermark), "archived_watermark": utc_z(archived_watermark)}
            if resume_point:
                out["resume"] = resume_point
            return out

        # Phase 1: live objects, listed (first run) or searched by last-modified time.
        if not (resume and resume.get("phase") == "archived"):
            if resume:
                mode, start, after = resume["mode"], parse_utc(resume.get("start")), resume.get("after")
                high = parse_utc(resume.get("high"))
                log.info("[hubspot/%s] resuming the interrupted %s scan", account, mode)
            else:
                start = since or (watermark - self.overlap if watermark else None)
                mode, after, high = ("search" if start else "list"), None, watermark
            page = 0
            while True:
                page += 1
                if mode == "search":
                    assert start is not None
                    data = self._search_page(account, start, after)
                else:
                    data = self._list_page(account, after, archived=False)
                records, rejects = parse_objects(self.name, account, f"{mode} page {page}", data["results"])
                stamps = [r.source_updated_at for r in records if r.source_updated_at]
                if stamps:
                    high = max([high, *stamps]) if high else max(stamps)
                after = ((data.get("paging") or {}).get("next") or {}).get("after")
                if mode == "search" and after and int(after) >= SEARCH_RESULT_CAP:
                    # Search pages no further: query again from the newest time seen (equal times re-read, not lost).
                    log.info("[hubspot/%s] search reached %d results; continuing from %s", account, SEARCH_RESULT_CAP, utc_z(high))
                    start, after = high, None
                    point = {"phase": "live", "mode": mode, "after": None, "start": utc_z(start), "high": utc_z(high)}
                    yield ExtractBatch(records=records, rejects=rejects, cursor=cursor_with(point))
                    continue
                if after:
                    point = {"phase": "live", "mode": mode, "after": str(after), "start": utc_z(start), "high": utc_z(high)}
                    yield ExtractBatch(records=records, rejects=rejects, cursor=cursor_with(point))
                    continue
                watermark = high  # never below the saved watermark: `high` starts from it
                yield ExtractBatch(records=records, rejects=rejects, cursor=cursor_with({"phase": "archived"}))
                break
            resume = None

        # Phase 2: deletions (archived objects), those archived since the last sync.
        floor = since or (archived_watermark - self.overlap if archived_watermark else None)
        after = resume.get("after") if resume else None
        archived_high = parse_utc(resume.get("archived_high")) if resume else archived_watermark
        page = 0
        while True:
            page += 1
            data = self._list_page(account, after, archived=True)
            records, rejects = parse_objects(self.name, account, f"archived page {page}", data["results"])
            stamps = [r.source_updated_at for r in records if r.source_updated_at]
            if stamps:
                archived_high = max([archived_high, *stamps]) if archived_high else max(stamps)
            if floor is not None:
                records = [r for r in records if r.source_updated_at and r.source_updated_at >= floor]
            after = ((data.get("paging") or {}).get("next") or {}).get("after")
            if after:
                point = {"phase": "archived", "after": str(after), "archived_high": utc_z(archived_high)}
                yield ExtractBatch(records=records, rejects=rejects, cursor=cursor_with(point))
                continue
            archived_watermark = archived_high
            yield ExtractBatch(records=records, rejects=rejects, cursor=cursor_with(None))
            return
