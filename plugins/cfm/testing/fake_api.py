"""A small threaded HTTP server for faking documented REST APIs, with fault injection.

Routes are (method, regex) -> handler(request) -> Response. Faults queued with `inject`
are served instead of the real answer for the next matching requests: a status with
headers (429 with Retry-After, 500), or a delay longer than the client's timeout.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


def parse_when(value: Any) -> datetime | None:
    """An ISO 8601 timestamp from a query or a dataset (naive ones are UTC); None when it is not one."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed



def encode_page_token(state: dict[str, Any]) -> str:
    """An opaque page token carrying `state` (URL-safe base64 of its JSON, like Google's)."""
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode()


def decode_page_token(token: str) -> Any:
    """The state inside a token made by `encode_page_token`; raises on any other text."""
    return json.loads(base64.urlsafe_b64decode(token.encode()))


def google_error(status: int, reason: str, message: str) -> Response:
    """An error body as Google's APIs send it ({"error": {code, message, status}})."""
    return Response(status, {"error": {"code": status, "message": message, "status": reason}})


def scoped_page_offset(token: str | None, dataset: Mapping[str, Any], **scope: Any) -> int | None:
    """The offset in a token from `scoped_page_token` for this listing (`scope`) and the dataset's
    current `token_epoch`: 0 without a token, None for a token that is foreign, stale or garbled."""
    if not token:
        return 0
    try:
        state = decode_page_token(token)
        if any(state[k] != v for k, v in scope.items()) or state["epoch"] != dataset.get("token_epoch", 0):
            return None
        return int(state["offset"])
    except Exception:
        return None


def scoped_page_token(dataset: Mapping[str, Any], offset: int, **scope: Any) -> str:
    """The next page's token of a listing: its scope, the offset and the dataset's token epoch."""
    return encode_page_token({**scope, "offset": offset, "epoch": dataset.get("token_epoch", 0)})


def recorded_dataset(sample_dir: Path, name: str) -> Any:
    """A fake's recorded dataset.json: in `sample_dir` itself, or in its `name`/ folder (sample_data/api/<name>/)."""
    folder = Path(sample_dir)
    path = folder / "dataset.json" if (folder / "dataset.json").is_file() else folder / name / "dataset.json"
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    match: re.Match[str] | None = None

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        try:
            return json.dumps(self.body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: real APIs send it as a \ud83d escape
            return json.dumps(self.body).encode("ascii")


@dataclass
class Fault:
    status: int = 500
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    path: str = ".*"
    times: int = 1


Handler = Callable[[Request], Response]


class FakeApiServer:
    """Serve registered routes on 127.0.0.1 (an ephemeral port unless one is given)."""

    #: Port for the next server constructed without one, then cleared. The demo uses it to
    #: keep each fake API on a stable address, since payloads embed absolute links.
    next_port: int | None = None

    def __init__(self, port: int = 0):
        if not port and FakeApiServer.next_port:
            port, FakeApiServer.next_port = FakeApiServer.next_port, None
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def route(self, method: str, pattern: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.routes.append((method.upper(), re.compile(pattern + r"\Z"), fn))
            return fn

        return register

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def start(self) -> FakeApiServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if re.search(fault.path, path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def dispatch(self, req: Request) -> Response:
        with self._lock:
            self.requests.append(req)
        fault = self._take_fault(req.path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            return Response(fault.status, fault.body if fault.body is not None else {"error": f"injected {fault.status}"},
                            dict(fault.headers))
        for method, pattern, handler in self.routes:
            if method == req.method:
                m = pattern.match(req.path)
                if m:
                    req.match = m
                    return handler(req)
        return Response(404, {"error": f"no route for {req.method} {req.path}"})

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body are separate writes: without this, keep-alive requests stall ~40 ms (Nagle + delayed ACK).
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                              {k.lower(): v for k, v in self.headers.items()}, body)
                try:
                    resp = server.dispatch(req)
                except Exception as exc:  # a bug in a fake must show up as a 500, not a hang
                    resp = Response(500, {"error": f"fake server error: {exc}"})
                payload = resp.encoded()
                try:
                    self.send_response(resp.status)
                    self.send_header("Content-Type", resp.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    for k, v in resp.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: Any) -> None:
                pass

        return _Handler
