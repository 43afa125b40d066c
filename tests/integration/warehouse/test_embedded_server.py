"""The embedded PostgreSQL (pgserver's binaries) that `make demo` uses when no server is configured."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg

from cfm.warehouse.embedded import ensure_embedded, stop_embedded


def test_starts_on_loopback_tcp_moves_off_a_taken_port_and_is_reused(tmp_path: Path) -> None:
    base = tmp_path / "cfm"
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        try:
            url = ensure_embedded(base, taken)
            assert url.startswith("postgresql://postgres@127.0.0.1:") and f":{taken}/" not in url
            with psycopg.connect(url) as conn:
                assert conn.execute("select current_database()").fetchone()[0] == "cfm"
            assert ensure_embedded(base, taken) == url  # running: the same server, same port
        finally:
            stop_embedded(base)
    assert ensure_embedded(base, taken) == url  # restarted on the remembered port
    stop_embedded(base)
