"""The recorded sample payloads of both review sources, landed through their fake APIs, through the dbt staging views."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from cfm.pipeline.ingest import sync_source
from cfm.sources.app_store import AppStoreSource
from cfm.sources.base import DEFAULT_SCALES
from cfm.sources.trustpilot import TrustpilotSource
from cfm.testing.fake_apis import app_store as fake_app_store
from cfm.testing.fake_apis import trustpilot as fake_trustpilot

ROOT = Path(__file__).resolve().parents[3]
DBT = Path(sys.executable).with_name("dbt")


@pytest.mark.skipif(not DBT.exists(), reason="dbt is not installed next to this Python")
def test_staging_views_map_sample_reviews_to_the_contract(
    warehouse: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module, source_class, folder in ((fake_trustpilot, TrustpilotSource, "trustpilot"),
                                         (fake_app_store, AppStoreSource, "app_store")):
        for name, value in module.demo_credentials().items():
            monkeypatch.setenv(name, value)
        with module.demo_server(ROOT / "sample_data" / "api" / folder) as server:
            sync_source(warehouse, source_class(module.demo_config(server.base_url)), run_id="demo")

    url = urlsplit(warehouse)
    env = {**os.environ, "CFM_DB_HOST": url.hostname or "127.0.0.1", "CFM_DB_PORT": str(url.port or 5432),
           "CFM_DB_USER": url.username or "postgres", "CFM_DB_PASSWORD": url.password or "",
           "CFM_DB_NAME": url.path.lstrip("/")}
    done = subprocess.run(
        [str(DBT), "build", "--profiles-dir", ".", "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path),
         "--vars", "{feedback_sources: [file_drop, trustpilot, app_store]}",
         "--select", "stg_trustpilot__feedback", "stg_app_store__feedback"],
        cwd=ROOT / "dbt", env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]

    with psycopg.connect(warehouse) as conn:
        trustpilot = conn.execute(
            "select count(*), count(distinct feedback_id), min(submitted_at), max(submitted_at), "
            "array_agg(distinct language_declared order by language_declared), bool_and(channel = 'review'), "
            "bool_and(rating_type = 'star' and rating_value between 1 and 5), count(customer_email), "
            "count(*) filter (where attributes ? 'company_reply_text') from staging.stg_trustpilot__feedback"
        ).fetchone()
        app_store = conn.execute(
            "select count(*), count(submitted_at), bool_and(rating_value between 1 and 5), "
            "count(*) filter (where attributes ? 'response_body'), count(language_declared) "
            "from staging.stg_app_store__feedback"
        ).fetchone()
        scales = conn.execute(
            "select distinct rating_scale_min, rating_scale_max from staging.stg_trustpilot__feedback "
            "union select distinct rating_scale_min, rating_scale_max from staging.stg_app_store__feedback"
        ).fetchall()
        utc = conn.execute(
            "select submitted_at_raw, to_char(submitted_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
            "from staging.stg_app_store__feedback where submitted_at_raw like '%-07:00' order by submitted_at limit 1"
        ).fetchone()
    assert trustpilot[:2] == (120, 120)
    assert str(trustpilot[2]) >= "2026-05-01" and str(trustpilot[3]) < "2026-11-01"
    assert trustpilot[4] == ["ar", "en", "zh"] and trustpilot[5] and trustpilot[6]
    assert 0 < trustpilot[7] < 120 and 0 < trustpilot[8] < 120
    assert app_store[:3] == (105, 105, True) and app_store[3] > 0 and app_store[4] == 0
    assert scales == [DEFAULT_SCALES["star"]]  # dbt's default_rating_scales var, generated from Python
    raw, as_utc = utc
    hours = int(raw[11:13]) + 7
    assert as_utc[11:13] == f"{hours % 24:02d}"  # -07:00 shifted to UTC
