"""The demo payloads of the three survey sources, landed by their connectors and mapped by dbt staging.

Runs the real connectors against the demo fake servers, then `dbt build` on the six
staging models (views + their schema tests), then checks the canonical columns.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from cfm.config import PROJECT_ROOT
from cfm.pipeline.ingest import sync_source
from cfm.sources.registry import build_source

SOURCES = ("typeform", "surveymonkey", "qualtrics")


def test_demo_payloads_map_to_the_staging_contract(warehouse: str, monkeypatch: pytest.MonkeyPatch) -> None:
    landed = {}
    for name in SOURCES:
        fake = importlib.import_module(f"cfm.testing.fake_apis.{name}")
        for key, value in fake.demo_credentials().items():
            monkeypatch.setenv(key, value)
        with fake.demo_server(PROJECT_ROOT / "sample_data" / "api" / name) as server:
            source = build_source(name, {"sources": {name: fake.demo_config(server.base_url)}})
            landed[name] = sync_source(warehouse, source, run_id="demo")["inserted"]
    assert landed == {"typeform": 150, "surveymonkey": 140, "qualtrics": 130}

    parts = urlsplit(warehouse)
    env = {**os.environ, "CFM_DB_HOST": parts.hostname or "127.0.0.1", "CFM_DB_PORT": str(parts.port or 5432),
           "CFM_DB_USER": parts.username or "postgres", "CFM_DB_PASSWORD": parts.password or "",
           "CFM_DB_NAME": parts.path.lstrip("/"), "DO_NOT_TRACK": "1"}
    dbt = Path(sys.executable).with_name("dbt")
    run = subprocess.run(
        [str(dbt), "build", "--profiles-dir", ".", "--target-path", "target/test_surveys", "--vars",
         "{feedback_sources: [file_drop, typeform, surveymonkey, qualtrics]}", "--select",
         "staging.typeform", "staging.surveymonkey", "staging.qualtrics"],
        cwd=PROJECT_ROOT / "dbt", env=env, capture_output=True, text=True, timeout=240, check=False)
    assert run.returncode == 0, run.stdout[-3000:]

    with psycopg.connect(warehouse) as conn:
        summary = conn.execute("""
            select source, count(*), count(submitted_at), count(rating_value), string_agg(distinct rating_type, ','),
                   string_agg(distinct language_declared, ',' order by language_declared), bool_and(channel = 'survey')
            from (select * from staging.stg_typeform__feedback union all select * from staging.stg_surveymonkey__feedback
                  union all select * from staging.stg_qualtrics__feedback) f
            group by source order by source""").fetchall()
        nps_bounds = conn.execute("""
            select min(rating_value), max(rating_value), min(rating_scale_min), max(rating_scale_max)
            from staging.stg_qualtrics__feedback where rating_type = 'nps'""").fetchone()
        groups = conn.execute("""
            select attributes->>'nps_group', min(rating_value), max(rating_value)
            from staging.stg_qualtrics__feedback where rating_type = 'nps' group by 1 order by 1""").fetchall()
        answers = conn.execute("""
            select count(*), count(distinct feedback_id) from staging.stg_surveymonkey__answers""").fetchone()
    assert summary == [
        ("qualtrics", 130, 130, 130, "csat,nps", "ar,en,zh", True),
        ("surveymonkey", 140, 140, 140, "ces,nps", "ar,en,zh", True),
        ("typeform", 150, 150, 150, "csat,nps", "ar,en,zh", True),
    ]
    assert nps_bounds[2:] == (0, 10) and 0 <= nps_bounds[0] <= nps_bounds[1] <= 10
    by_group = {g[0]: (float(g[1]), float(g[2])) for g in groups}
    assert set(by_group) == {"detractor", "passive", "promoter"}
    assert by_group["detractor"][1] <= 6 and by_group["passive"] == (7.0, 8.0) and by_group["promoter"][0] >= 9
    assert answers[0] > answers[1] == 140
