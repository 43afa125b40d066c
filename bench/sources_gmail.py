"""Gmail connector throughput against the local fake Gmail API, landing into real PostgreSQL.

Measures a first sync (messages.list + one messages.get(format=raw) per message, MIME
parsing, COPY + upsert) and an incremental history sync of newly delivered mail.

    PYTHONPATH=plugins python bench/sources_gmail.py --messages 2000 \\
        --database postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from urllib.parse import urlsplit, urlunsplit

import psycopg

from cfm.pipeline.ingest import sync_source
from cfm.sources.gmail import GmailSource
from cfm.testing.fake_apis.gmail import DEMO_TOKEN, GmailDataset, build_server
from cfm.warehouse.schema import ensure_warehouse

INBOX = "support@acme-shop.example"
TEXTS = [("The app crashes at checkout, call me on +44 7700 900123.", "utf-8"),
         ("الطلب وصل متأخرا جدا والعلبة مكسورة", "windows-1256"),
         ("退款还没有到账，请尽快处理", "gb2312")]


def _message(n: int) -> bytes:
    text, charset = TEXTS[n % len(TEXTS)]
    alt = MIMEMultipart("alternative", boundary=f"b{n}")
    alt.attach(MIMEText(f"{text}\n\nOn Mon, Support <{INBOX}> wrote:\n> earlier answer {n}\n", "plain", charset))
    alt.attach(MIMEText(f"<p>{text}</p>", "html", charset))
    when = datetime(2026, 5, 2, tzinfo=UTC) + timedelta(minutes=7 * n)
    alt["From"] = f"customer{n}@example.com"
    alt["To"] = INBOX
    alt["Subject"] = f"Order {n}"
    alt["Date"] = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
    alt["Message-ID"] = f"<bench-{n}@example.com>"
    return alt.as_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--incremental", type=int, default=500)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--fetch-batch-size", type=int, default=50, help="1 = one messages.get request per message")
    parser.add_argument("--database", default=os.environ.get("CFM_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()

    os.environ["CFM_GMAIL_TOKEN"] = DEMO_TOKEN
    name = f"cfm_bench_gmail_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.database, autocommit=True) as admin:
        admin.execute(f'create database "{name}"')
    url = urlunsplit(urlsplit(args.database)._replace(path=f"/{name}"))
    try:
        with psycopg.connect(url) as conn:
            ensure_warehouse(conn)
        ds = GmailDataset()
        for n in range(args.messages):
            ds.add_message(INBOX, _message(n))
        with build_server(ds) as srv:
            config = {"base_url": srv.base_url, "inboxes": [INBOX], "start_date": "2026-05-01", "page_size": args.page_size,
                      "fetch_batch_size": args.fetch_batch_size}
            # One-time start-up (credential lookup, which may import Airflow; discovery build) reported apart.
            t0 = time.perf_counter()
            source = GmailSource(config)
            source.service(INBOX)
            startup_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            first = sync_source(url, source, run_id="bench-1")
            first_s = time.perf_counter() - t0
            for n in range(args.messages, args.messages + args.incremental):
                ds.add_message(INBOX, _message(n))
            t0 = time.perf_counter()
            second = sync_source(url, GmailSource(config), run_id="bench-2")
            second_s = time.perf_counter() - t0
            requests = len(srv.requests)
        assert first["inserted"] == args.messages and second["inserted"] == args.incremental
        print(f"start-up (credentials + client build): {startup_s:.2f}s")
        print(f"first sync: {args.messages} messages in {first_s:.2f}s = {args.messages / first_s:.0f} messages/s")
        print(f"history sync: {args.incremental} messages in {second_s:.2f}s = {args.incremental / second_s:.0f} messages/s")
        print(f"HTTP requests served: {requests}")
    finally:
        with psycopg.connect(args.database, autocommit=True) as admin:
            admin.execute(f'drop database if exists "{name}" with (force)')


if __name__ == "__main__":
    main()
