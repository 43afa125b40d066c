"""File drops: CSV and JSONL files in a folder, for offline channels and tools with no connector.

Each file is one batch. The cursor remembers the content hash of every file loaded, so an
unchanged file is skipped and a changed file is re-read (its rows upsert by `id`).
Handling is per line, never per file: a line that cannot be read (bytes that are not
UTF-8, broken CSV quoting, invalid JSON, bare NaN, nesting too deep), that has no usable
`id` (missing, empty, `true`, an object; `0` is an id) or a field too large to store goes
to quarantine named by file and line, and every other row lands. A BOM declares UTF-8 or
UTF-16. The same id twice keeps the later row and flags the earlier one with the winner.
A symlink leading out of the drop folder is refused. Every other check (dates, scores,
enums) runs in validation, on the staged record.

Each good row is serialised here, once: its canonical JSON and hash travel with the record
(`RawRecord.canonical`), so the loader does not serialise it again; ingest reads the next file
while the previous one lands (`read_ahead`).
"""

from __future__ import annotations

import codecs
import csv
import gc
import hashlib
import json
import logging
import math
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from cfm.config import project_path
from cfm.sources.base import ExtractBatch, FeedbackSource, RawRecord, RejectedRecord, SourceError
from cfm.sources.sanitise import MAX_FIELD_CHARS, Unstorable, clean_payload, plain_canonical
from cfm.sources.timestamps import parse_utc

log = logging.getLogger(__name__)

SUFFIXES = (".csv", ".jsonl", ".ndjson")
# Field size is judged per record (cfm.sources.sanitise), not by the csv module's 128 kB limit,
# which used to fail the whole file.
csv.field_size_limit(2**31 - 1)


class FileDropSource(FeedbackSource):
    name = "file_drop"
    supports_until = True
    read_ahead = True
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

    def outside(self, path: Path) -> bool:
        """A file reached through a symlink that leads out of the drop folder (never read)."""
        return not path.resolve().is_relative_to(self.folder.resolve())

    def batches(self, account: str, cursor: Mapping[str, Any] | None, *, since: datetime | None = None,
                until: datetime | None = None) -> Iterator[ExtractBatch]:
        backfill = since is not None or until is not None
        seen: dict[str, str] = dict((cursor or {}).get("files") or {})
        first_seen: dict[str, tuple[str, int]] = {}  # id -> (file, line) that stored it earlier in this sync
        for path in self.files():
            rel = path.relative_to(self.folder).as_posix()
            if self.outside(path):
                log.warning("[file_drop] %s links outside the drop folder; refused", rel)
                reject = RejectedRecord(self.name, account, rel, "file", "symlink pointing outside the drop folder: refused",
                                        {"_file": rel}, check="refused_symlink")
                yield ExtractBatch(rejects=[reject], cursor={"files": dict(seen)})
                continue
            data = path.read_bytes()
            digest = hashlib.sha256(data).hexdigest()
            if not backfill and seen.get(rel) == digest:
                continue
            with collector_paused():
                kept, rejects = self.parse_rows(account, rel, data, since=since, until=until)
            for record_id, (line_no, _) in kept.items():
                found = first_seen.get(record_id)
                if found is not None:
                    earlier = f"{found[0]}:{found[1]}"
                    rejects.append(RejectedRecord(
                        self.name, account, earlier, "id",
                        f"id {record_id!r} is also at {rel}:{line_no}, read later; that row was kept, this one ({earlier}) "
                        "was replaced", {"id": record_id, "_file": found[0]}, check="duplicate_id"))
                first_seen[record_id] = (rel, line_no)
            records = [rec for _, rec in kept.values()]
            if not backfill:  # a backfill read only part of the file: the next sync reads all of it
                seen[rel] = digest
            log.info("[file_drop] %s: %d records, %d rejected", rel, len(records), len(rejects))
            yield ExtractBatch(records=records, rejects=rejects, cursor={"files": dict(seen)})

    def record_from_quarantine(self, account: str, payload: Mapping[str, Any]) -> RawRecord:
        row = {k: v for k, v in payload.items() if k not in ("_line", "raw")}
        record_id, problem = record_id_of(row.get("id"))
        if problem:
            raise SourceError(self.name, f"quarantined row from {row.get('_file')} still has no 'id' ({problem}); "
                                         "set one with cfm quarantine edit")
        return RawRecord(self.name, account, record_id, row)

    def parse_file(
        self, account: str, rel: str, data: bytes, *, since: datetime | None = None
    ) -> tuple[list[RawRecord], list[RejectedRecord]]:
        """Every good row of one file as a record, every bad line a reject (see `parse_rows`)."""
        kept, rejects = self.parse_rows(account, rel, data, since=since)
        return [rec for _, rec in kept.values()], rejects

    def parse_rows(
        self, account: str, rel: str, data: bytes, *, since: datetime | None = None, until: datetime | None = None
    ) -> tuple[dict[str, tuple[int, RawRecord]], list[RejectedRecord]]:
        """{id: (line, record)} of every good row of one file, and a reject per bad line.

        Every good row of one file as a record; every bad line a reject naming file:line and the reason.

        `since` keeps only rows submitted on or after it and `until` only those before it (a
        backfill window); rows without a readable `submitted_at` are kept, for validation to judge.
        """
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        text, encoding_problem = decode(data)
        if encoding_problem:
            reject = RejectedRecord(self.name, account, rel, "file", encoding_problem, {"_file": rel})
            return {}, [reject]
        undecodable = _undecodable(data, text)  # else no line needs the check
        float_lines: set[int] = set()  # JSON lines holding a float (CSV holds none)
        jsonl = rel.lower().endswith((".jsonl", ".ndjson"))
        rows = _jsonl_rows(text, undecodable, float_lines) if jsonl else _csv_rows(text, undecodable)
        kept: dict[str, tuple[int, RawRecord]] = {}
        rejects: list[RejectedRecord] = []
        windowed = since is not None or until is not None
        make = _record_maker(self.name, account)
        for line_no, row, error, column in rows:
            if error:
                rejects.append(self.line_reject(account, rel, line_no, row, error, column))
                continue
            value = row.get("id")
            if type(value) is str and (record_id := value.strip()):  # the usual case of record_id_of, inline
                problem = None
            else:
                record_id, problem = record_id_of(value)
            if problem:
                rejects.append(RejectedRecord(self.name, account, f"{rel}:{line_no}", "id", problem,
                                              {**row, "_file": rel, "_line": line_no}))
                continue
            row["_file"] = rel  # the row is this loop's own: it becomes the payload, uncopied
            payload = row
            # serialised once, here: the loader reuses it
            canonical = (plain_canonical(payload, floatless=line_no not in float_lines) if jsonl
                         else _flat_canonical(payload))  # a CSV row is flat: {str: str | None}
            if canonical is None:  # something to repair or refuse: the walk names the field
                try:
                    clean_payload(row)
                except Unstorable as exc:
                    rejects.append(RejectedRecord(self.name, account, f"{rel}:{line_no}", exc.field, exc.reason,
                                                  {**row, "_file": rel, "_line": line_no}, check="unstorable"))
                    continue
            submitted = parse_utc(row.get("submitted_at")) if windowed else None
            if submitted is not None and ((since is not None and submitted < since) or (until is not None and submitted >= until)):
                continue
            record = make(record_id, payload, canonical)
            if record_id in kept:
                self.keep_later(kept, rejects, rel, line_no, record)
            else:
                kept[record_id] = (line_no, record)
        return kept, rejects

    def line_reject(self, account: str, rel: str, line_no: int, row: Any, error: str, column: str | None) -> RejectedRecord:
        """The reject for a line that could not be read as a row (`row` is its raw text or partial values)."""
        raw = row if not isinstance(row, str) else escape_undecodable(row)
        return RejectedRecord(self.name, account, f"{rel}:{line_no}", column or "line", error,
                              {"_file": rel, "_line": line_no, "raw": raw})

    def keep_later(
        self, kept: dict[str, tuple[int, RawRecord]], rejects: list[RejectedRecord], rel: str, line_no: int,
        record: RawRecord, *, field: str = "id", noun: str = "id",
    ) -> None:
        """Keep `record` (read at `line_no`) under its id; a row of the same id earlier in the file becomes a duplicate_id reject."""
        key = record.source_record_id
        if key in kept:
            earlier_line, loser = kept[key]
            rejects.append(RejectedRecord(
                self.name, record.account, f"{rel}:{earlier_line}", field,
                f"{noun} {key!r} appears again at line {line_no}; the later row (line {line_no}) was kept, "
                f"this one (line {earlier_line}) was not", {**loser.payload, "_line": earlier_line}, check="duplicate_id"))
        kept[key] = (line_no, record)


def _record_maker(source: str, account: str) -> Callable[[str, dict[str, Any], tuple[str, str] | None], RawRecord]:
    """A maker of `RawRecord(source, account, id, payload, canonical=...)`, several times faster than its
    frozen dataclass __init__ (one object.__setattr__ per field): a hundred thousand rows pay it."""
    fields = RawRecord(source, account, "", {}).__dict__
    new = object.__new__

    def make(record_id: str, payload: dict[str, Any], canonical: tuple[str, str] | None) -> RawRecord:
        record = new(RawRecord)
        record.__dict__.update(fields, source_record_id=record_id, payload=payload, canonical=canonical)
        return record

    return make


def _flat_canonical(payload: dict[str, Any]) -> tuple[str, str] | None:
    """`plain_canonical(payload, floatless=True)` of a flat row ({str: str | None}, as CSV gives), when that
    is not None; else None (the caller's walk then decides, as after `plain_canonical`). A flat row
    nests nothing, so its braces need no counting."""
    try:
        data = _ENCODE(payload)  # raises on a lone surrogate
    except (ValueError, TypeError, msgspec.EncodeError):
        return None
    if b"\\u0000" in data:
        return None
    text = data.decode("utf-8")
    if len(data) > MAX_FIELD_CHARS and len(text) > MAX_FIELD_CHARS:
        return None
    return text, hashlib.sha256(data).hexdigest()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while a file is parsed (and, in ingest, for a whole sync):
    parsing makes hundreds of thousands of dicts (no cycles), and every collection they trigger rescans
    all of them (a third of the parse time on a 150k-row file). Re-enabled after, unless something else
    had it off."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def record_id_of(value: Any) -> tuple[str, str | None]:
    """(id as text, problem): a string or a number is an id (0 included); true, objects and lists are not."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return "", "required field 'id' is missing or empty"
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return "", f"field 'id' must be a string or a number, got {json.dumps(value, default=str)[:80]}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "", f"field 'id' must be a finite number, got {value!r}"
        return (str(int(value)) if value.is_integer() else repr(value)), None
    return str(value).strip(), None


def decode(data: bytes) -> tuple[str, str | None]:
    """The file's text and, when it cannot be read at all, why.

    A BOM declares the encoding (UTF-8, UTF-16 LE/BE); otherwise UTF-8. Bytes that are not
    UTF-8 are kept as surrogate escapes, so the lines that hold them are quarantined one by
    one while the rest of the file lands.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError as exc:
            return "", f"file declares UTF-16 (BOM) but is not ({exc.reason} at byte {exc.start})"
    return data.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="surrogateescape"), None


def _undecodable(data: bytes, text: str) -> bool:
    """True when `decode` kept bytes that are not UTF-8 in `text` (as surrogate escapes). A strict decode
    tells it several times faster than a search of the text when the file is valid UTF-8."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _UNDECODABLE.search(text) is not None
    return False


def escape_undecodable(text: str) -> str:
    """A line with its undecodable bytes spelled as \\xNN, so it can be stored and shown."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _bad_bytes(text: str) -> str | None:
    found = _UNDECODABLE.findall(text)
    if not found:
        return None
    spelled = ", ".join(f"0x{ord(ch) - 0xDC00:02X}" for ch in found[:5])
    return f"not UTF-8: invalid byte(s) {spelled}"


#: The canonical form (`cfm.sources.sanitise.plain_canonical(floatless=True)`): sorted keys, compact, UTF-8.
_ENCODE = msgspec.json.Encoder(order="sorted").encode
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_OTHER_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines also breaks
_LINE = re.compile("[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")

Row = tuple[int, Any, str | None, str | None]  # line number, row (or the raw line), error, column at fault


def _lines(text: str, keepends: bool = False) -> list[str]:
    """The lines of a file: split on \n, \r\n and \r only (`str.splitlines` also splits on U+2028,
    U+2029, \x85 and \x0b-\x0c, \x1c-\x1e, which a CSV field or a JSON string may hold)."""
    lines = text.splitlines(keepends)
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    unended = text[-1:] not in ("", "\n", "\r")  # the last line has no line break
    if len(lines) == breaks + unended and not (unended and text[-1] in _OTHER_BREAKS):  # the usual case
        return lines
    lines = _LINE.findall(text)
    return lines if keepends else [line.rstrip("\r\n") for line in lines]


def _csv_rows(text: str, undecodable: bool = True) -> Iterator[Row]:
    """Rows with their first physical line; a line csv cannot parse is reported and parsing resumes after it.

    `strict` makes an unclosed quote an error at the end of the file instead of a field that
    swallows every later row: that line is quarantined and the rows after it are read again.
    `undecodable` False says the text holds no undecodable byte (no row needs checking).
    """
    lines = _lines(text, keepends=True)
    header: list[str] | None = None
    index = 0
    while index < len(lines):
        reader = csv.reader(lines[index:], strict=True)
        done = 0  # physical lines consumed by this reader
        try:
            for values in reader:
                start = index + done + 1
                done = reader.line_num
                if not values or (len(values) == 1 and not values[0].strip()):
                    continue
                if header is None:
                    header = [h.strip() for h in values]
                    continue
                if undecodable:
                    raw = "".join(lines[start - 1:index + done])
                    if bad := _bad_bytes(raw):
                        yield start, raw, bad, _column_with_bad_bytes(header, values)
                        continue
                if len(values) == len(header):
                    yield start, dict(zip(header, values)), None, None  # noqa: B905 (lengths equal)
                    continue
                if len(values) > len(header):
                    yield start, {"values": values[len(header):], **dict(zip(header, values, strict=False))}, \
                        f"row has {len(values) - len(header)} more values than the header has columns", None
                    continue
                yield start, {h: (values[i] if i < len(values) else None) for i, h in enumerate(header)}, None, None
            return
        except csv.Error as exc:
            bad_line = index + done + 1
            yield bad_line, lines[bad_line - 1], f"CSV syntax: {exc}; the line was set aside and reading resumed after it", None
            index = bad_line


def _column_with_bad_bytes(header: list[str], values: list[str]) -> str | None:
    for name, value in zip(header, values, strict=False):
        if _UNDECODABLE.search(value):
            return name
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"bare {name} is not JSON")


def _jsonl_rows(text: str, undecodable: bool = True, float_lines: set[int] | None = None) -> Iterator[Row]:
    """Rows of a JSON-lines text; the numbers of the lines that hold a float go into `float_lines`."""
    line_no = 0

    def parse_float(literal: str) -> float:
        if float_lines is not None:
            float_lines.add(line_no)
        return float(literal)

    # One decoder for the file (json.loads builds one per call when given hooks); a line starting
    # with a BOM still goes through json.loads, for its error message.
    decoder = json.JSONDecoder(parse_constant=_reject_constant, parse_float=parse_float)
    # msgspec reads a line several times faster, to the same values (ints of any size, floats from the same
    # literal, the later of two equal keys). What it refuses (NaN, a lone surrogate escape, deep nesting,
    # any syntax error) goes through the json module as before, for its verdict and message.
    fast_decode = msgspec.json.Decoder(float_hook=parse_float).decode

    for line_no, line in enumerate(_lines(text), start=1):  # noqa: B007 (parse_float reads it)
        if not line.strip():
            continue
        if undecodable and (bad := _bad_bytes(line)):
            yield line_no, line, bad, None
            continue
        if not line.startswith("\ufeff"):
            try:
                row = fast_decode(line)
            except Exception:  # noqa: BLE001, S110 (refused: read again below)
                pass
            else:
                if type(row) is dict:
                    yield line_no, row, None, None
                    continue
        try:
            row = (json.loads(line, parse_constant=_reject_constant, parse_float=parse_float) if line.startswith("\ufeff")
                   else decoder.decode(line))
        except json.JSONDecodeError as exc:
            yield line_no, line, f"invalid JSON: {exc.msg} at column {exc.colno}", None
            continue
        except ValueError as exc:
            yield line_no, line[:10_000], f"invalid JSON: {exc}", None
            continue
        except RecursionError:
            yield line_no, line[:10_000], "invalid JSON: nested too deeply to read", None
            continue
        if not isinstance(row, dict):
            yield line_no, line, "a JSONL line must be an object", None
            continue
        yield line_no, row, None, None
