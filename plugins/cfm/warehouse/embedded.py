"""A project-local PostgreSQL from the `pgserver` wheel, for machines with no server.

pgserver on Linux listens on a Unix socket only, but Cosmos builds Asset URIs from the
profile host and rejects socket hosts; so we run the bundled binaries ourselves on a
loopback TCP port (socket dir inside the data dir). Data lives under `.cfm/pgdata`.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE = "cfm"


def _bin_dir() -> Path:
    import pgserver

    return Path(pgserver.__file__).resolve().parent / "pginstall" / "bin"


def _run_as() -> str | None:
    """PostgreSQL refuses to run as root; as root, run it as pgserver's unprivileged user."""
    if os.geteuid() != 0:
        return None
    import stat

    from pgserver.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists("pgserver")
    bins = _bin_dir()
    ensure_prefix_permissions(bins)
    ensure_folder_permissions(bins, stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)
    ensure_folder_permissions(bins.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
    return "pgserver"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ensure_embedded(base_dir: Path, port: int = 54329) -> str:
    """Start (or reuse) the embedded server and return a TCP URL to the `cfm` database."""
    base_dir = Path(base_dir).resolve()
    pgdata = base_dir / "pgdata"
    bins = _bin_dir()
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    user = _run_as()
    run = {"check": True, "capture_output": True, "env": env, "user": user}
    if not (pgdata / "PG_VERSION").exists():
        base_dir.mkdir(parents=True, exist_ok=True)
        if pgdata.exists():
            shutil.rmtree(pgdata)
        pgdata.mkdir(mode=0o700)
        if user:
            import pwd

            from pgserver.utils import ensure_prefix_permissions

            ensure_prefix_permissions(pgdata)
            entry = pwd.getpwnam(user)
            os.chown(base_dir, entry.pw_uid, entry.pw_gid)
            os.chown(pgdata, entry.pw_uid, entry.pw_gid)
        log.info("initialising embedded PostgreSQL in %s", pgdata)
        subprocess.run(
            [str(bins / "initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"], **run
        )
    port_file = base_dir / "port"
    status = subprocess.run([str(bins / "pg_ctl"), "-D", str(pgdata), "status"], capture_output=True, env=env, user=user)
    if status.returncode == 0 and port_file.exists():
        port = int(port_file.read_text())
    if status.returncode != 0:
        if port_file.exists():
            port = int(port_file.read_text())
        if _port_open(port):  # another checkout's server, or anything else: take a free port
            port = _free_port()
            log.warning("embedded PostgreSQL: the configured port is taken, using %d", port)
        port_file.write_text(str(port))
        sock_dir = pgdata  # the data dir is private to the server user
        opts = f"-h 127.0.0.1 -p {port} -k {sock_dir} -c max_connections=100 -c fsync=off"
        subprocess.run(
            [str(bins / "pg_ctl"), "-D", str(pgdata), "-l", str(pgdata / "postgres.log"), "-o", opts, "-w", "start"], **run
        )
    for _ in range(50):
        if _port_open(port):
            break
        time.sleep(0.1)
    _ensure_database(port)
    return f"postgresql://postgres@127.0.0.1:{port}/{DATABASE}"


def stop_embedded(base_dir: Path, mode: str = "fast") -> None:
    """Stop the server; mode "immediate" is a crash (tests use it): the restart recovers from WAL."""
    pgdata = Path(base_dir).resolve() / "pgdata"
    if (pgdata / "PG_VERSION").exists():
        subprocess.run([str(_bin_dir() / "pg_ctl"), "-D", str(pgdata), "-m", mode, "stop"], capture_output=True,
                       user=_run_as())


def _ensure_database(port: int) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as conn:
        if not conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone():
            conn.execute(f'create database "{DATABASE}"')
