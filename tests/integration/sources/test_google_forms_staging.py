"""The Google staging views (Forms, Play, Business Profile) over rows landed by the real connectors, via a real dbt run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from google.oauth2.credentials import Credentials

from cfm.pipeline.ingest import sync_source
from cfm.sources.google_business import GoogleBusinessSource
from cfm.sources.google_forms import GoogleFormsSource
from cfm.sources.google_play import GooglePlaySource
from cfm.testing.fake_apis import google_business, google_forms, google_play

DBT_DIR = Path(__file__).resolve().parents[3] / "dbt"
FAKE = Credentials("fake-token")


def _forms_dataset() -> dict:
    definition = {"formId": "F", "revisionId": "3", "info": {"title": "Support survey"}, "items": [
        {"title": "How satisfied are you?", "questionItem": {"question": {"questionId": "qs", "scaleQuestion": {"low": 1, "high": 5}}}},
        {"title": "Topics", "questionItem": {"question": {"questionId": "qt", "choiceQuestion": {"type": "CHECKBOX"}}}},
        {"title": "Tell us more", "questionItem": {"question": {"questionId": "qx", "textQuestion": {"paragraph": True}}}}]}
    responses = [
        {"responseId": "R1", "createTime": "2026-06-01T10:00:00.123456789Z", "lastSubmittedTime": "2026-06-01T10:05:00Z",
         "respondentEmail": "Ann@Example.com", "answers": {
             "qs": {"questionId": "qs", "textAnswers": {"answers": [{"value": "4"}]}},
             "qt": {"questionId": "qt", "textAnswers": {"answers": [{"value": "Refund"}, {"value": "App"}]}},
             "qx": {"questionId": "qx", "textAnswers": {"answers": [{"value": "الدعم كان سريعا"}]}}}},
        {"responseId": "R2", "createTime": "2026-06-02T08:00:00Z", "lastSubmittedTime": "2026-06-02T08:00:00Z",
         "answers": {"qs": {"questionId": "qs", "textAnswers": {"answers": [{"value": "n/a"}]}}}},
    ]
    return {"forms": {"F": {"definition": definition, "responses": responses}}}


def _play_dataset() -> dict:
    return {"apps": {"com.x": [{"reviewId": "gp:1", "authorName": "Li", "comments": [
        {"userComment": {"text": "Slow\t订单页面很慢", "lastModified": {"seconds": "1780000000", "nanos": 500000000},
                         "starRating": 2, "reviewerLanguage": "zh_CN", "appVersionName": "4.2.1"}},
        {"developerComment": {"text": "Fixed in 4.2.2", "lastModified": {"seconds": "1780003600", "nanos": 0}}}]}]}}


def _gbp_dataset() -> dict:
    loc = "accounts/1/locations/2"
    return {"locations": {loc: [
        {"name": f"{loc}/reviews/G1", "reviewId": "G1", "starRating": "FOUR", "reviewer": {"displayName": "Sam", "isAnonymous": False},
         "comment": "(Translated by Google) Nice staff\n\n(Original)\nموظفون لطفاء", "createTime": "2026-07-01T09:00:00.5Z",
         "updateTime": "2026-07-02T09:00:00Z", "reviewReply": {"comment": "Thanks!", "updateTime": "2026-07-03T09:00:00Z"}},
        {"name": f"{loc}/reviews/G2", "reviewId": "G2", "starRating": "STAR_RATING_UNSPECIFIED",
         "createTime": "2026-07-04T09:00:00Z", "updateTime": "2026-07-04T09:00:00Z"}]}}


def _dbt_run(url: str) -> None:
    parts = urlsplit(url)
    env = {**os.environ, "CFM_DB_HOST": parts.hostname or "127.0.0.1", "CFM_DB_PORT": str(parts.port or 5432),
           "CFM_DB_USER": parts.username or "postgres", "CFM_DB_PASSWORD": parts.password or "",
           "CFM_DB_NAME": parts.path.lstrip("/"), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = Path(sys.executable).with_name("dbt")
    result = subprocess.run(
        [str(dbt), "run", "--profiles-dir", ".", "--target-path", "target/test_google", "--select",
         "stg_google_forms__feedback", "stg_google_forms__answers", "stg_google_play__feedback", "stg_google_business__feedback"],
        cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stdout[-3000:]


def test_staging_views_map_google_payloads_to_the_contract(warehouse: str) -> None:
    with google_forms.build_server(_forms_dataset()) as srv:
        sync_source(warehouse, GoogleFormsSource({"base_url": srv.base_url + "/", "forms": [
            {"id": "F", "rating_question": "qs", "rating_type": "csat"}]}, credentials=FAKE), run_id="r1")
    with google_play.build_server(_play_dataset()) as srv:
        sync_source(warehouse, GooglePlaySource({"base_url": srv.base_url + "/", "apps": ["com.x"]}, credentials=FAKE), run_id="r1")
    with google_business.build_server(_gbp_dataset()) as srv:
        sync_source(warehouse, GoogleBusinessSource({"base_url": srv.base_url + "/v4/", "locations": ["accounts/1/locations/2"]},
                                                    credentials=FAKE), run_id="r1")
    _dbt_run(warehouse)

    cols = ("source_record_id, channel, submitted_at::text, customer_email, language_declared, text_raw, rating_type, "
            "rating_value, rating_value_raw, rating_scale_min, rating_scale_max, survey_id, question_id, attributes")
    with psycopg.connect(warehouse) as conn:
        forms = conn.execute(f"select {cols} from staging.stg_google_forms__feedback order by 1").fetchall()
        answers = conn.execute("select a.question_id, question_text, answer_type, answer_value, answer_number "
                               "from staging.stg_google_forms__answers a join staging.stg_google_forms__feedback f "
                               "using (feedback_id) where f.source_record_id = 'R1' order by 1").fetchall()
        play = conn.execute(f"select {cols} from staging.stg_google_play__feedback").fetchall()
        gbp = conn.execute(f"select {cols} from staging.stg_google_business__feedback order by 1").fetchall()
        ids = conn.execute("select feedback_id = md5('google_forms|F|R1') from staging.stg_google_forms__feedback "
                           "where source_record_id = 'R1'").fetchone()[0]

    assert ids is True
    assert forms == [
        ("R1", "survey", "2026-06-01 10:00:00.123457+00", "ann@example.com", None, "الدعم كان سريعا", "csat", 4, "4", 1, 5, "F", "qs",
         {"form_title": "Support survey", "form_revision_id": "3", "last_submitted_at": "2026-06-01T10:05:00Z", "text_question_id": "qx"}),
        ("R2", "survey", "2026-06-02 08:00:00+00", None, None, None, "csat", None, "n/a", 1, 5, "F", "qs",
         {"form_title": "Support survey", "form_revision_id": "3", "last_submitted_at": "2026-06-02T08:00:00Z", "text_question_id": "qx"}),
    ]
    assert answers == [("qs", "How satisfied are you?", "scale", "4", 4), ("qt", "Topics", "checkbox", "Refund; App", None),
                       ("qx", "Tell us more", "paragraph", "الدعم كان سريعا", None)]
    assert play == [("gp:1", "review", "2026-05-28 20:26:40.5+00", None, "zh", "Slow\n订单页面很慢", "star", 2, "2", 1, 5, None, None,
                     {"package_name": "com.x", "app_version_name": "4.2.1", "developer_reply_text": "Fixed in 4.2.2",
                      "developer_reply_at": "2026-05-28T21:26:40Z"})]
    assert gbp == [
        ("G1", "review", "2026-07-01 09:00:00.5+00", None, None, "موظفون لطفاء", "star", 4, "FOUR", 1, 5, None, None,
         {"location": "accounts/1/locations/2", "review_name": "accounts/1/locations/2/reviews/G1", "updated_at": "2026-07-02T09:00:00Z",
          "reviewer_is_anonymous": False, "comment_as_received": "(Translated by Google) Nice staff\n\n(Original)\nموظفون لطفاء",
          "reply_text": "Thanks!", "reply_updated_at": "2026-07-03T09:00:00Z"}),
        ("G2", "review", "2026-07-04 09:00:00+00", None, None, None, "star", None, "STAR_RATING_UNSPECIFIED", 1, 5, None, None,
         {"location": "accounts/1/locations/2", "review_name": "accounts/1/locations/2/reviews/G2", "updated_at": "2026-07-04T09:00:00Z"}),
    ]
