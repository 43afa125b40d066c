"""The contract every feedback source implements.

A source has one job: given the cursor saved after its last successful batch, yield
batches of raw records, each with the cursor that is safe to save once that batch is
stored. The warehouse loader stores a batch and its cursor in one transaction, so a
crash mid-sync can never move the cursor past records that were not stored.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CHANNELS = ("survey", "email", "review", "chat", "phone", "in_person", "social", "other")
RATING_TYPES = ("nps", "csat", "ces", "star")
DEFAULT_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "star": (1, 5)}


class SourceError(Exception):
    """An error that stops a source's sync (bad config, auth failure, API contract broken)."""

    def __init__(self, source: str, message: str):
        super().__init__(f"[{source}] {message}")
        self.source = source


@dataclass(frozen=True)
class RawRecord:
    """One record exactly as the source returned it, plus the keys that identify it."""

    source: str
    account: str
    source_record_id: str
    payload: Mapping[str, Any]
    source_updated_at: datetime | None = None

    @property
    def payload_hash(self) -> str:
        return payload_hash(self.payload)


@dataclass(frozen=True)
class RejectedRecord:
    """A record the source could not even key or parse. It goes to quarantine, never lost.

    `record_ref` names the record for a human (an id, or file:line when there is no id).
    `field` names the offending field.
    """

    source: str
    account: str
    record_ref: str
    field: str
    reason: str
    payload: Mapping[str, Any]
    check: str = "source_parse"

    def message(self) -> str:
        return f"source={self.source} account={self.account} record={self.record_ref} field={self.field}: {self.reason}"


@dataclass
class ExtractBatch:
    """Records to store together, and the cursor to save in the same transaction."""

    records: list[RawRecord] = field(default_factory=list)
    rejects: list[RejectedRecord] = field(default_factory=list)
    cursor: dict[str, Any] | None = None


class FeedbackSource(ABC):
    """Base class for a feedback source. Subclasses set `name` and implement `batches`."""

    name: str = ""
    #: The Airflow pool that caps concurrent calls to this source's API.
    pool: str | None = None

    def __init__(self, config: Mapping[str, Any] | None = None):
        self.config = dict(config or {})

    @abstractmethod
    def batches(
        self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None
    ) -> Iterator[ExtractBatch]:
        """Yield batches for one account after its saved `cursor`.

        `since` (a backfill) re-reads from that date whatever the cursor says. Each
        batch's cursor must only cover records in that batch or earlier ones.
        """

    def record_from_quarantine(self, account: str, payload: Mapping[str, Any]) -> RawRecord:
        """Rebuild a record from a (corrected) quarantined payload, for `cfm quarantine replay`.

        Sources whose rejects can be fixed by editing the payload override this.
        """
        raise SourceError(self.name, "records rejected by this source's parser cannot be replayed; fix them at the source")

    def accounts(self) -> list[str]:
        """The forms, inboxes, apps or folders this source reads; each has its own cursor."""
        return ["default"]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def payload_hash(payload: Any) -> str:
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
