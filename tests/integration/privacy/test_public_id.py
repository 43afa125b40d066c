"""Retention keeps a record's ids as the marts show them: the SQL it writes them with is what dbt
compiles for the macro public_id, so the two cannot drift apart."""

from __future__ import annotations

import os
import re
from pathlib import Path

from dbt.cli.main import dbtRunner

from cfm.pipeline.transform import DBT_DIR, dbt_env
from cfm.privacy.retention import public_id_sql


def _dbt_public_id(url: str, column: str, work: Path) -> str:
    os.environ.update(dbt_env(url))
    result = dbtRunner().invoke([
        "compile", "--inline", f"{{{{ public_id('{column}') }}}}", "--quiet", "--project-dir", str(DBT_DIR),
        "--profiles-dir", str(DBT_DIR), "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
    ])
    assert result.success, result.exception
    return result.result.results[0].node.compiled_code


def _words(code: str) -> str:
    return re.sub(r"\s+", " ", code).strip()


def test_retention_writes_ids_with_the_sql_dbt_compiles_for_public_id(make_database, tmp_path: Path) -> None:
    url = make_database()
    database = url.rsplit("/", 1)[1]
    compiled = _dbt_public_id(url, "s.thread_id", tmp_path)
    # dbt names the source relation with its database; retention runs in that database.
    assert f'"{database}"."ml"."id_pseudonyms"' in compiled
    assert _words(public_id_sql("s.thread_id")) == _words(compiled.replace(f'"{database}".', ""))
