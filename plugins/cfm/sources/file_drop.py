"""File drops: CSV and JSONL files in a folder, for offline channels and tools with no connector.

Each file is one batch. The cursor remembers the content hash of every file loaded, so an
unchanged file is skipped and a changed file is re-read (its rows upsert by `id`).
Rows with no `id` cannot be keyed and go straight to quarantine, named by file and line;
every other check (dates, scores, enums) runs in validation, on the staged record.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from cfm.config import project_path
from cfm.sources.base import ExtractBatch, FeedbackSource, RawRecord, RejectedRecord, SourceError

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".jsonl", ".ndjson")
# Excel writes CSVs with a BOM; utf-8-sig reads both.
ENCODING = "utf-8-sig"


class FileDropSource(FeedbackSource):
    name = "file_drop"
    default_dir = "sample_data/drop"

    @property
    def folder(self) -> Path:
        return project_path(self.config.get("dir") or self.default_dir)

    def accounts(self) -> list[str]:
        return [self.config.get("account") or "drop"]

    def files(self) -> list[Path]:
        if not self.folder.is_dir():
            raise SourceError(self.name, f"drop folder {self.folder} does not exist")
        return sorted(p for p in self.folder.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None) -> Iterator[ExtractBatch]:
        seen: dict[str, str] = dict((cursor or {}).get("files") or {})
        for path in self.files():
            rel = path.relative_to(self.folder).as_posix()
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if since is None and seen.get(rel) == digest:
                continue
            records, rejects = self.parse_file(account, rel, data)
            seen[rel] = digest
            log.info("[file_drop] %s: %d records, %d rejected", rel, len(records), len(rejects))
            yield ExtractBatch(records=records, rejects=rejects, cursor={"files": dict(seen)})

    def record_from_quarantine(self, account: str, payload: Mapping[str, Any]) -> RawRecord:
        row = {k: v for k, v in payload.items() if k not in ("_line", "raw")}
        record_id = str(row.get("id") or "").strip()
        if not record_id:
            raise SourceError(self.name, f"quarantined row from {row.get('_file')} still has no 'id'; set one with cfm quarantine edit")
        return RawRecord(self.name, account, record_id, row)

    def parse_file(self, account: str, rel: str, data: bytes) -> tuple[list[RawRecord], list[RejectedRecord]]:
        try:
            text = data.decode(ENCODING)
        except UnicodeDecodeError as exc:
            reject = RejectedRecord(self.name, account, rel, "file", f"file is not UTF-8 ({exc.reason} at byte {exc.start})",
                                    {"_file": rel})
            return [], [reject]
        rows = _jsonl_rows(text, rel) if rel.lower().endswith((".jsonl", ".ndjson")) else _csv_rows(text)
        records: list[RawRecord] = []
        rejects: list[RejectedRecord] = []
        for line_no, row, error in rows:
            ref = f"{rel}:{line_no}"
            if error:
                rejects.append(RejectedRecord(self.name, account, ref, "line", error, {"_file": rel, "_line": line_no, "raw": row}))
                continue
            record_id = str(row.get("id") or "").strip()
            if not record_id:
                rejects.append(RejectedRecord(self.name, account, ref, "id", "required field 'id' is missing or empty",
                                              {**row, "_file": rel}))
                continue
            records.append(RawRecord(self.name, account, record_id, {**row, "_file": rel}))
        return records, rejects


def _csv_rows(text: str) -> Iterator[tuple[int, Any, str | None]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for row in reader:
        extra = row.pop(None, None)
        if extra:
            yield reader.line_num, {"values": extra, **row}, f"row has {len(extra)} more values than the header has columns"
            continue
        yield reader.line_num, {k.strip(): v for k, v in row.items() if k is not None}, None


def _jsonl_rows(text: str, rel: str) -> Iterator[tuple[int, Any, str | None]]:
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, line, f"invalid JSON: {exc.msg} at column {exc.colno}"
            continue
        if not isinstance(row, dict):
            yield line_no, line, "a JSONL line must be an object"
            continue
        yield line_no, row, None
