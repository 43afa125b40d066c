"""`cfm analyst add` never sends the clear password: libpq hashes it client-side into a SCRAM verifier."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg.pq import Trace

from cfm.cli import main as cfm
from cfm.warehouse.analysts import add_analyst, role_statement

PASSWORD = "clear-text-never-sent-42"


@pytest.fixture
def login(warehouse: str) -> Iterator[str]:
    name = f"analyst_{uuid.uuid4().hex[:8]}"  # roles are cluster-wide: a fresh name, dropped after
    yield name
    with psycopg.connect(warehouse, autocommit=True) as conn:
        conn.execute(f'drop role if exists "{name}"')


def as_login(url: str, name: str, password: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{name}:{password}@{parts.hostname}:{parts.port or 5432}"))


def stored_verifier(url: str, name: str) -> str:
    with psycopg.connect(url) as conn:  # pg_authid is readable by superusers only
        return conn.execute("select rolpassword from pg_authid where rolname = %s", (name,)).fetchone()[0]


def scram_matches(verifier: str, password: str) -> bool:
    """RFC 5803 / RFC 5802: does `SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey` belong to this password?

    The test server trusts local connections, so a login alone would not prove the password.
    """
    head, keys = verifier.removeprefix("SCRAM-SHA-256$").split("$")
    iterations, salt = head.split(":")
    stored_key, server_key = (base64.b64decode(k) for k in keys.split(":"))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return (
        hashlib.sha256(client_key).digest() == stored_key
        and hmac.new(salted, b"Server Key", "sha256").digest() == server_key
    )


def test_cfm_analyst_add_stores_a_scram_verifier_and_the_login_works(
    warehouse: str, login: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CFM_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("CFM_ANALYST_PASSWORD", PASSWORD)
    assert cfm(["analyst", "add", login]) == 0
    verifier = stored_verifier(warehouse, login)
    assert verifier.startswith("SCRAM-SHA-256$4096:") and PASSWORD not in verifier
    assert scram_matches(verifier, PASSWORD) and not scram_matches(verifier, PASSWORD + "x")
    with psycopg.connect(as_login(warehouse, login, PASSWORD)) as conn:
        assert conn.execute("select current_user").fetchone()[0] == login

    # a second add changes the password (ALTER ROLE), again as a verifier
    monkeypatch.setenv("CFM_ANALYST_PASSWORD", PASSWORD + "-new")
    assert cfm(["analyst", "add", login]) == 0
    changed = stored_verifier(warehouse, login)
    assert scram_matches(changed, PASSWORD + "-new") and not scram_matches(changed, PASSWORD)
    with psycopg.connect(as_login(warehouse, login, PASSWORD + "-new")) as conn:
        assert conn.execute("select current_user").fetchone()[0] == login


def test_the_clear_password_never_goes_over_the_wire(warehouse: str, login: str, tmp_path: Path) -> None:
    trace = tmp_path / "libpq.trace"
    with psycopg.connect(warehouse) as conn, trace.open("w") as fh:
        for create in (True, False):
            text = role_statement(conn, login, PASSWORD, create=create).as_string(conn)
            assert PASSWORD not in text and "'SCRAM-SHA-256$4096:" in text
        # libpq's protocol trace: every message this connection sends from here on
        conn.pgconn.trace(fh.fileno())
        conn.pgconn.set_trace_flags(Trace.SUPPRESS_TIMESTAMPS)
        add_analyst(conn, login, PASSWORD)  # create role
        add_analyst(conn, login, PASSWORD)  # alter role
        conn.pgconn.untrace()
    sent = trace.read_text(encoding="utf-8", errors="replace")
    assert f'create role "{login}" login password' in sent and f'alter role "{login}" login password' in sent
    assert "SCRAM-SHA-256$4096:" in sent
    assert PASSWORD not in sent
    assert scram_matches(stored_verifier(warehouse, login), PASSWORD)
