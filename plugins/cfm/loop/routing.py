"""Case routing from the YAML routing table: department, queue and owner for a new case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

MATCH_KEYS = ("category", "topic", "channel", "language")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Fallback(_Strict):
    department: str
    queue: str
    owner: str


class Route(_Strict):
    match: dict[str, list[str]] = Field(default_factory=dict)
    department: str
    queue: str
    owners: list[str] = Field(default_factory=list)
    assignment: Literal["round_robin", "load"] = "round_robin"

    @field_validator("match", mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        out = {}
        for key, value in (v or {}).items():
            if key not in MATCH_KEYS:
                raise ValueError(f"unknown match key {key!r}; keys: {', '.join(MATCH_KEYS)}")
            out[key] = [str(x) for x in (value if isinstance(value, list) else [value])]
        return out

    def matches(self, case: Mapping[str, Any]) -> bool:
        return all(str(case.get(key)) in values for key, values in self.match.items())


class RoutingTable(_Strict):
    fallback: Fallback
    routes: list[Route] = Field(default_factory=list)

    def route(self, case: Mapping[str, Any]) -> Route | None:
        return next((r for r in self.routes if r.matches(case)), None)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> RoutingTable:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    try:
        return RoutingTable.model_validate(data)
    except Exception as exc:
        raise ValueError(f"routing table {path}: {exc}") from exc


def load_routing(path: str | Path) -> RoutingTable:
    """Read and validate the routing table (cached until the file changes)."""
    p = Path(path)
    if not p.exists():
        raise ValueError(f"routing table {p} does not exist (loop.routing_file)")
    return _load(str(p), p.stat().st_mtime)


@dataclass(frozen=True)
class Assignment:
    department: str
    queue: str
    owner: str
    method: str  # round_robin, load or fallback


def assign(table: RoutingTable, case: Mapping[str, Any], *, assigned_in_queue: Mapping[str, int],
           open_by_owner: Mapping[str, int]) -> Assignment:
    """Pick the route and owner for `case`.

    `assigned_in_queue`: how many cases each queue has had assigned so far (round-robin turn),
    `open_by_owner`: open cases per owner (load). Both come from the events, so the choice is
    the same on every re-run.
    """
    route = table.route(case)
    if route is None:
        fb = table.fallback
        return Assignment(fb.department, fb.queue, fb.owner, "fallback")
    if not route.owners:
        return Assignment(route.department, route.queue, table.fallback.owner, "fallback")
    if route.assignment == "load":
        owner = min(route.owners, key=lambda o: (open_by_owner.get(o, 0), route.owners.index(o)))
    else:
        owner = route.owners[assigned_in_queue.get(route.queue, 0) % len(route.owners)]
    return Assignment(route.department, route.queue, owner, route.assignment)
