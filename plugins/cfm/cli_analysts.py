"""`cfm analyst ...` (analyst logins) and `cfm docs` (dbt docs): what BI analysts need to get at the marts."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import Any

PASSWORD_ENV = "CFM_ANALYST_PASSWORD"


def _password(args: argparse.Namespace) -> str:
    """From the environment (CFM_ANALYST_PASSWORD or --password-env), else asked twice without echo."""
    env_name = args.password_env or PASSWORD_ENV
    if os.environ.get(env_name):
        return os.environ[env_name]
    if not sys.stdin.isatty():
        raise ValueError(f"no password: set {env_name} or run in a terminal to be asked")
    first = getpass.getpass(f"password for {args.name}: ")
    if first != getpass.getpass("again: "):
        raise ValueError("the two passwords differ")
    return first


def cmd_analyst(args: argparse.Namespace, config: dict[str, Any], url: Callable[[dict[str, Any]], str]) -> int:
    import psycopg

    from cfm.warehouse import analysts

    with psycopg.connect(url(config)) as conn:
        if args.action == "add":
            result = analysts.add_analyst(conn, args.name, _password(args), department=args.department)
            what = "created" if result["created"] else "updated"
            scope = f"department role {result['department_role']}" if result["department_role"] else "all departments"
            print(f"{what} login {args.name} in cfm_analyst (marts only; {scope})")
        elif args.action == "remove":
            analysts.remove_analyst(conn, args.name)
            print(f"dropped login {args.name}")
        else:
            for name, departments in analysts.list_analysts(conn):
                print(f"{name:<32} {departments or 'all departments'}")
    return 0


def cmd_docs(args: argparse.Namespace, config: dict[str, Any], url: Callable[[dict[str, Any]], str]) -> int:
    from cfm.pipeline.transform import DBT_DIR, run_dbt

    warehouse = url(config)
    run_dbt(warehouse, ["docs", "generate"])
    print(f"dbt docs built in {DBT_DIR / 'target'} (index.html, manifest.json, catalog.json)", flush=True)
    if args.no_serve:
        return 0
    print(f"serving on http://{args.host}:{args.port} (Ctrl-C stops)", flush=True)
    run_dbt(warehouse, ["docs", "serve", "--port", str(args.port), "--host", args.host, "--no-browser"])
    return 0


def register(sub: Any, url: Callable[[dict[str, Any]], str]) -> None:
    """Add the `analyst` and `docs` commands to the cfm parser's subcommands."""
    an = sub.add_parser("analyst", help="analyst logins: read marts only, optionally one department")
    acts = an.add_subparsers(dest="action", required=True)
    add = acts.add_parser("add", help="create (or update) a login in cfm_analyst")
    add.add_argument("name", help="login name (lower-case letters, digits, _)")
    add.add_argument("--department", help="limit to this department's rows (row-level security), e.g. 'Customer Support'")
    add.add_argument("--password-env", help=f"read the password from this variable (default {PASSWORD_ENV}, else a prompt)")
    rm = acts.add_parser("remove", help="drop an analyst login")
    rm.add_argument("name")
    acts.add_parser("list", help="analyst logins and their departments")
    an.set_defaults(fn=lambda args, config: cmd_analyst(args, config, url))

    docs = sub.add_parser("docs", help="build the dbt docs (every mart and column) and serve them")
    docs.add_argument("--port", type=int, default=8081)
    docs.add_argument("--host", default="127.0.0.1")
    docs.add_argument("--no-serve", action="store_true", help="only build them (dbt/target/index.html)")
    docs.set_defaults(fn=lambda args, config: cmd_docs(args, config, url))
