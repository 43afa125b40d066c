"""One small warehouse built by the real pipeline twice (`cfm run`'s stages): feedback, customer files and
HubSpot, with customer attributes that change between the runs. Shared by the marts and analyst tests."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

RECENT = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
CUSTOMER_COLUMNS = ["customer_id", "email", "plan", "region", "tier", "signup_date", "lifetime_value", "account_owner",
                    "updated_at", "segment"]
TEXTS = {
    "delivery": "My parcel arrived late and the courier left the box in the rain.",
    "refund": "I was charged twice and I am still waiting for my refund.",
    "praise": "Great service, thank you so much.",
}


def _feedback_rows() -> list[dict[str, Any]]:
    rows = [
        # C00001's plan changes from basic to premium on 2026-06-01 (second run)
        {"id": "F1", "submitted_at": "2025-12-01T10:00:00Z", "customer_id": "C00001", "rating_value": "9", "topic": "praise"},
        {"id": "F2", "submitted_at": "2026-03-01T10:00:00Z", "customer_id": "C00001", "rating_value": "3", "topic": "delivery"},
        {"id": "F3", "submitted_at": "2026-07-01T10:00:00Z", "customer_id": "C00001", "rating_value": "10", "topic": "praise"},
        {"id": "F4", "submitted_at": "2026-04-01T10:00:00Z", "customer_email": "Ann@Example.com", "rating_value": "8",
         "topic": "refund"},
        {"id": "F5", "submitted_at": "2026-05-01T10:00:00Z", "customer_email": "buyer@acme.example", "rating_value": "6",
         "topic": "delivery"},
        {"id": "F6", "submitted_at": "2026-05-02T10:00:00Z", "customer_id": "C09999", "rating_value": "7", "topic": "refund"},
    ]
    channels = ["survey", "chat", "phone"]
    for n in range(36):  # responses in the last 30 days, and in the 30 before, for the analysts' questions
        days = n % 20 if n < 24 else 31 + 2 * (n - 24)
        rows.append({"id": f"R{n:02d}", "submitted_at": (RECENT - timedelta(days=days, hours=n)).isoformat(),
                     "customer_id": f"C{n % 5 + 1:05d}", "rating_value": str((n * 7) % 11),
                     "topic": ("delivery", "refund", "praise")[n % 3], "channel": channels[n % 3]})
    out = []
    for n, row in enumerate(rows):
        topic = row.pop("topic")
        out.append({"channel": "survey", "rating_type": "nps", "text": TEXTS[topic], "language": "en",
                    "region": ("UAE", "UK")[n % 2], "store": f"S{n % 3}", "agent": ("amy", "bilal")[n % 2],
                    "product": "app", "customer_email": "", "customer_id": "", **row})
    csat = [{"id": f"CS{n:02d}", "submitted_at": (RECENT - timedelta(days=n)).isoformat(), "channel": "chat",
             "rating_type": "csat", "rating_value": str(n % 5 + 1), "text": TEXTS["praise"], "language": "en",
             "customer_id": "C00002", "customer_email": "", "region": "UK", "store": "S1", "agent": "amy", "product": "web"}
            for n in range(10)]
    return out + csat


def _write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def customers(plan_c1: str, updated_c1: str) -> list[dict[str, Any]]:
    rows = [{"customer_id": f"C{n:05d}", "plan": "basic", "region": "UAE", "tier": "bronze", "signup_date": "2024-02-03",
             "lifetime_value": "100.50", "account_owner": "team-gcc", "updated_at": "2026-01-01T00:00:00Z", "segment": "smb"}
            for n in range(1, 6)]
    rows[0].update(plan=plan_c1, updated_at=updated_c1)
    rows.append({"email": "ann@example.com", "plan": "plus", "region": "UK", "tier": "silver", "signup_date": "2023-05-06",
                 "lifetime_value": "950", "account_owner": "team-emea", "updated_at": "2026-01-01T00:00:00Z"})
    return rows


def hubspot_data(archived: bool) -> dict[str, list[dict[str, Any]]]:
    t = "2026-01-05T00:00:00.000Z"
    contact = {"id": "51", "createdAt": t, "updatedAt": t, "archived": False,
               "properties": {"email": "buyer@acme.example", "plan": "enterprise", "createdate": t, "lastmodifieddate": t,
                              "associatedcompanyid": "9001", "hs_object_id": "51"}}
    if archived:
        contact.update(archived=True, archivedAt="2026-06-15T00:00:00.000Z")
    company = {"id": "9001", "createdAt": t, "updatedAt": t, "archived": False,
               "properties": {"name": "Acme", "tier": "gold", "country": "SG", "hs_lastmodifieddate": t, "createdate": t}}
    return {"contacts": [contact], "companies": [company]}


@pytest.fixture(scope="session")
def built_warehouse(make_database: Callable[[], str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    from cfm.config import load_config
    from cfm.pipeline.prepare import prepare_warehouse
    from cfm.pipeline.run import run_pipeline
    from cfm.testing.fake_apis import hubspot as fake_hubspot

    tmp = tmp_path_factory.mktemp("marts")
    drop, customer_dir = tmp / "drop", tmp / "customers"
    drop.mkdir()
    customer_dir.mkdir()
    rows = _feedback_rows()
    _write_csv(drop / "feedback.csv", rows, list(dict.fromkeys(k for r in rows for k in r)))
    _write_csv(customer_dir / "customers.csv", customers("basic", "2026-01-01T00:00:00Z"), CUSTOMER_COLUMNS)

    url = make_database()
    with psycopg.connect(url) as conn:
        prepare_warehouse(conn)
    data = hubspot_data(archived=False)
    saved_token = os.environ.get("CFM_HUBSPOT_TOKEN")
    os.environ["CFM_HUBSPOT_TOKEN"] = fake_hubspot.TOKEN
    try:
        with fake_hubspot.build_server(data) as server:
            config = load_config()
            config["sources"] = {"file_drop": {"enabled": True, "dir": str(drop)},
                                 "customer_drop": {"enabled": True, "dir": str(customer_dir)},
                                 "hubspot": {"enabled": True, "base_url": server.base_url}}
            config["report"]["out_dir"] = str(tmp / "out")
            first = run_pipeline(url, config, "marts-test-1", report=False)
            with psycopg.connect(url) as conn:
                first_dim = conn.execute("select count(*) from marts.dim_customers").fetchone()[0]
            # C00001 moves to premium on 2026-06-01; the HubSpot contact is archived (deleted).
            _write_csv(customer_dir / "customers.csv", customers("premium", "2026-06-01T00:00:00Z"), CUSTOMER_COLUMNS)
            data.update(hubspot_data(archived=True))
            second = run_pipeline(url, config, "marts-test-2", report=False)
    finally:
        if saved_token is None:
            os.environ.pop("CFM_HUBSPOT_TOKEN", None)
        else:
            os.environ["CFM_HUBSPOT_TOKEN"] = saved_token
    yield {"url": url, "first": first, "second": second, "first_dim": first_dim, "rows": rows, "tmp": tmp,
           "hubspot": json.dumps(data)}
