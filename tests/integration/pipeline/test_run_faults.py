"""`cfm run` killed, run twice at once, and handed secrets: checked from outside, on a small slice of the sample.

Each run is a real `cfm` process. A kill is placed deterministically: the process SIGKILLs itself
right after its first ingest batch is committed, or right after dbt reports a given model built
(a dbt callback), so no test depends on timing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
import yaml

from cfm.config import PROJECT_ROOT
from cfm.testing.fake_apis import typeform as tf_fake

pytestmark = pytest.mark.slow
SAMPLE = PROJECT_ROOT / "sample_data"
SNAPSHOT_TABLES = [
    "raw.file_drop",
    "raw.typeform",
    "quarantine.records",
    "ops.validated_records",
    "ml.feedback_enrichment",
    "marts.fct_feedback",
    "marts.fct_survey_answers",
    "marts.nps_daily",
    "marts.csat_daily",
    "marts.ces_daily",
    "marts.cx_metrics_monthly",
    "marts.rpt_kpi_periods",
    "marts.rpt_cell_shifts",
    "marts.rpt_quarantine_reasons",
]
VOLATILE = (
    "quarantined_at",
    "validated_at",
    "enriched_at",
    "assigned_at",
    "run_id",
    "resolved_at",
    "extracted_at",
    "loaded_at",
    "updated_at",
    "as_of",
    "built_at",
    "oldest_quarantined_at",  # when a row was quarantined: wall-clock time, differs between databases
    "created_at",
    "scored_at",
    "changed_at",  # the incremental models' change marker: the latest of the times above
    # A serial: an insert that meets a conflict (the same reject from a second run) still takes a number,
    # so the numbers depend on how runs interleave; rows are compared on everything else.
    "quarantine_id",
)
# What enrichment writes, beyond ml.feedback_enrichment: compared after a kill inside the enrich stage.
ML_TABLES = [
    "ml.feedback_identity",
    "ml.embeddings",
    "ml.topics",
    "ml.topic_assignments",
    "ml.aspect_sentiment",
    "ops.enriched_records",
]
AIRFLOW_SECRET = "airflow-conn-secret-5f1e9c"

# Runs `cfm` with an optional self-kill: CFM_TEST_KILL_AT=ingest (after the first committed batch),
# enrich (after the NLP rows are committed, before the records are marked enriched) or dbt:<model>
# (after dbt reports that model built). pg_stop:<dir> stops the embedded server in <dir> (immediate
# mode: a crash, recovered from WAL on restart) after the first committed ingest batch.
WRAPPER = textwrap.dedent("""
    import os, runpy, signal, sys
    kill_at = os.environ.pop("CFM_TEST_KILL_AT", "")
    if kill_at.startswith("pg_stop:"):
        import cfm.pipeline.ingest as ingest
        from cfm.warehouse.embedded import stop_embedded
        land_batch, server_dir = ingest.land_batch, [kill_at[8:]]
        def land_then_stop_server(*args, **kwargs):
            result = land_batch(*args, **kwargs)
            if server_dir:
                stop_embedded(server_dir.pop(), mode="immediate")
            return result
        ingest.land_batch = land_then_stop_server
    elif kill_at == "enrich":
        import cfm.nlp.warehouse_enrichment as enrichment
        enrich_feedback = enrichment.enrich_feedback
        def enrich_then_die(*args, **kwargs):
            enrich_feedback(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        enrichment.enrich_feedback = enrich_then_die
    elif kill_at == "ingest":
        import cfm.pipeline.ingest as ingest
        land_batch = ingest.land_batch
        def land_then_die(*args, **kwargs):
            land_batch(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
        ingest.land_batch = land_then_die
    elif kill_at.startswith("dbt:"):
        import dbt.cli.main as dbt_main
        model, runner = kill_at[4:], dbt_main.dbtRunner
        def die_after(event):
            if event.info.name == "LogModelResult" and event.data.node_info.node_name == model:
                os.kill(os.getpid(), signal.SIGKILL)
        dbt_main.dbtRunner = lambda callbacks=None, **kw: runner(callbacks=[*(callbacks or []), die_after], **kw)
    sys.argv = ["cfm", *sys.argv[1:]]
    runpy.run_module("cfm.cli", run_name="__main__")
""")


@pytest.fixture(scope="module")
def setup(tmp_path_factory, make_database):
    tmp = tmp_path_factory.mktemp("faults")
    drop = tmp / "drop"
    drop.mkdir()
    lines = (SAMPLE / "drop" / "surveys_2026.csv").read_text(encoding="utf-8").splitlines()[:61]
    (drop / "surveys.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    reviews = (SAMPLE / "drop" / "reviews_2026.jsonl").read_text(encoding="utf-8").splitlines()[:30]
    (drop / "reviews.jsonl").write_text("\n".join(reviews) + "\n", encoding="utf-8")
    with tf_fake.demo_server(SAMPLE / "api" / "typeform") as tf:
        config = yaml.safe_load((PROJECT_ROOT / "cfm.yml").read_text())
        config["sources"] = {
            "file_drop": {"enabled": True, "dir": str(drop)},
            "typeform": tf_fake.demo_config(tf.base_url),
        }
        config["report"] = {**config["report"], "out_dir": str(tmp / "out"), "period": "latest"}
        config["warehouse"] = {**config.get("warehouse", {}), "url": None}
        (tmp / "cfm.yml").write_text(yaml.safe_dump(config))
        env = {
            **os.environ,
            **tf_fake.demo_credentials(),
            "CFM_CONFIG": str(tmp / "cfm.yml"),
            "PYTHONPATH": str(PROJECT_ROOT / "plugins"),
            "HF_HUB_OFFLINE": "1",
            # an Airflow connection holding a secret: whatever reads connections must never print it
            "AIRFLOW_CONN_CFM_TRUSTPILOT": f"http://api-user:{AIRFLOW_SECRET}@trustpilot.invalid",
        }

        def cfm(url: str, *args: str, kill_at: str = "", wait: bool = True):
            run_env = {**env, "CFM_WAREHOUSE_URL": url, "CFM_TEST_KILL_AT": kill_at}
            proc = subprocess.Popen(
                [sys.executable, "-c", WRAPPER, *args],
                env=run_env,
                cwd=tmp,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            if not wait:
                return proc
            out, err = proc.communicate(timeout=900)
            return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

        # The reference run: two `cfm run` started at once on a fresh database (see the concurrency test).
        clean_url = make_database()
        procs = [cfm(clean_url, "run", "--no-progress", wait=False) for _ in range(2)]
        outputs = [p.communicate(timeout=900) for p in procs]  # both run to the end before either is judged
        concurrent = [
            subprocess.CompletedProcess(p.args, p.returncode, *o) for p, o in zip(procs, outputs, strict=True)
        ]
        yield {
            "cfm": cfm,
            "tmp": tmp,
            "concurrent": concurrent,
            "clean_url": clean_url,
            "snapshot": _snapshot(clean_url),
            "token": tf_fake.TOKEN,
        }


def _snapshot(
    url: str, tables: list[str] = SNAPSHOT_TABLES, volatile: tuple[str, ...] = VOLATILE
) -> dict[str, tuple]:
    out: dict[str, tuple] = {}
    with psycopg.connect(url) as conn:
        for t in tables:
            cols = [
                r[0]
                for r in conn.execute(
                    "select column_name from information_schema.columns where table_schema || '.' || table_name = %s "
                    "and not (column_name = any(%s)) order by ordinal_position",
                    (t, list(volatile)),
                ).fetchall()
            ]
            col_sql = ", ".join(f'"{c}"' for c in cols)
            out[t] = conn.execute(
                f"select md5(string_agg(r::text, '|' order by r::text)), count(*) "
                f"from (select {col_sql} from {t}) r"
            ).fetchone()
    return out


def _mart_relations(url: str, schema: str = "marts") -> dict[str, tuple[int, int]]:
    """name -> (oid, relfilenode) of each table in the schema: a rebuilt, swapped or rewritten mart changes."""
    with psycopg.connect(url) as conn:
        return {name: (oid, node) for name, oid, node in conn.execute(
            "select c.relname, c.oid::int8, c.relfilenode::int8 from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = %s and c.relkind = 'r'", (schema,))}


def _log(url: str, stage: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select run_id, status from ops.run_log where stage = %s order by started_at", (stage,)
        ).fetchall()


def test_two_concurrent_runs_on_a_fresh_database_neither_duplicate_nor_deadlock(setup) -> None:
    results = setup["concurrent"]
    for proc in results:
        # Each run finishes, or is refused by the run's advisory lock with a clear message.
        assert proc.returncode == 0 or (
            proc.returncode == 2
            and "another cfm run is running in this warehouse" in proc.stderr
            and "Traceback" not in proc.stderr
        ), proc.stderr[-3000:]
    assert any(proc.returncode == 0 for proc in results), [p.stderr[-2000:] for p in results]
    snap = setup["snapshot"]
    assert snap["raw.file_drop"][1] > 0 and snap["raw.typeform"][1] > 0 and snap["marts.fct_feedback"][1] > 0
    with psycopg.connect(setup["clean_url"]) as conn:
        assert (
            conn.execute("select count(*) - count(distinct feedback_id) from marts.fct_feedback").fetchone()[
                0
            ]
            == 0
        )
        assert conn.execute("select count(*) from ops.run_log where status <> 'success'").fetchone()[0] == 0
    # No duplicates either way: the kill test below rebuilds the same warehouse one run at a time and
    # must reach this snapshot exactly.


def test_kills_during_ingest_and_dbt_then_a_rerun_equals_the_clean_run(setup, make_database) -> None:
    cfm = setup["cfm"]
    url = make_database()
    killed = cfm(url, "run", "--no-progress", kill_at="ingest")  # after the first committed batch
    assert killed.returncode == -9
    assert "running" in [status for _, status in _log(url, "ingest")]  # the killed stage stays visible

    # The re-run is killed in turn, half-way through the first dbt build. Readers never fail on a missing
    # mart: a mart not built yet is a clear error naming the unfinished transform; marts that exist are
    # read with a note that the transform did not finish.
    killed = cfm(url, "run", "--no-progress", kill_at="dbt:fct_feedback")
    assert killed.returncode == -9
    assert [status for _, status in _log(url, "transform")] == ["running"]
    killed_run = _log(url, "transform")[-1][0]
    for command in (["headline"], ["report"]):
        proc = cfm(url, *command)
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
        out = proc.stdout + proc.stderr
        if proc.returncode == 0:
            shown = (
                out
                if command == ["headline"]
                else Path(proc.stdout.strip().splitlines()[-1]).read_text("utf-8")
            )
            assert "did not finish" in shown and killed_run in shown, out[-3000:]
        else:
            assert proc.returncode == 2 and f"the transform (run {killed_run}) has not finished" in out, out[
                -3000:
            ]

    rerun = cfm(url, "run", "--no-progress")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _snapshot(url) == setup["snapshot"]
    with psycopg.connect(url) as conn:  # published whole: the shadows are gone, security came along
        assert [s for (s,) in conn.execute("select nspname from pg_namespace where nspname like 'marts%'")] == ["marts"]
        assert conn.execute("select relrowsecurity from pg_class where oid = 'marts.fct_feedback'::regclass").fetchone()[0]
        assert conn.execute("select count(*) from pg_policy where polrelid = 'marts.fct_feedback'::regclass").fetchone()[0] == 1
        assert conn.execute("select has_schema_privilege('cfm_analyst', 'marts', 'usage') "
                            "and has_table_privilege('cfm_analyst', 'marts.fct_feedback', 'select')").fetchone()[0]

    # A later build killed half-way: readers keep working on the last complete build and say it is stale.
    # (--rebuild: with nothing new upstream the transform would skip dbt and there would be no build to kill.)
    published = _mart_relations(url)
    killed = cfm(url, "run", "--no-progress", "--rebuild", kill_at="dbt:fct_feedback")
    assert killed.returncode == -9
    killed_run = _log(url, "transform")[-1][0]
    # The build went to the shadow schema: not one relation of the published marts was touched.
    assert _mart_relations(url) == published
    assert "fct_feedback" in _mart_relations(url, "marts__next")
    headline = cfm(url, "headline")
    assert headline.returncode == 0, headline.stderr[-3000:]
    assert "stale" in headline.stdout and killed_run in headline.stdout
    report = cfm(url, "report")
    assert report.returncode == 0, report.stderr[-3000:]
    html = Path(report.stdout.strip().splitlines()[-1]).read_text(encoding="utf-8")
    assert "did not finish" in html and killed_run in html
    assert _snapshot(url) == setup["snapshot"]  # each mart is swapped whole: the last good set is intact


def test_kill_during_enrichment_then_a_rerun_equals_the_clean_run(setup, make_database) -> None:
    cfm = setup["cfm"]
    url = make_database()
    killed = cfm(url, "run", "--no-progress", kill_at="enrich")
    assert killed.returncode == -9, killed.stderr[-3000:]
    with psycopg.connect(url) as conn:
        # The stage was left running; its plan (keying customers, picking key ranges) had finished.
        assert conn.execute("select source, status from ops.run_log where stage = 'enrich' order by source").fetchall() \
            == [("", "running"), ("plan", "success")]
    with psycopg.connect(url) as conn:
        # the kill fell between the NLP rows' commit and the records being marked enriched
        assert conn.execute("select count(*) from ml.feedback_enrichment").fetchone()[0] > 0
        assert conn.execute("select count(*) from ops.enriched_records").fetchone()[0] == 0

    rerun = cfm(url, "run", "--no-progress")
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert _snapshot(url) == setup["snapshot"]
    tables = SNAPSHOT_TABLES + ML_TABLES
    clean = _snapshot(setup["clean_url"], tables)
    assert all(clean[t][1] > 0 for t in ML_TABLES), clean
    assert _snapshot(url, tables) == clean


def test_postgres_stopped_mid_run_then_restarted_a_rerun_loses_nothing(setup) -> None:
    from cfm.warehouse.embedded import _free_port, _port_open, ensure_embedded, stop_embedded

    cfm = setup["cfm"]
    # A private server, so stopping it touches no other test's database; not under pytest's tmp root,
    # which pytest keeps private to root while the server runs as an unprivileged user.
    server = Path(tempfile.mkdtemp(prefix="cfm-pgstop-"))
    url = ensure_embedded(server, _free_port())
    try:
        first = cfm(url, "run", "--no-progress", kill_at=f"pg_stop:{server}")
        assert not _port_open(urlsplit(url).port), "the server was not stopped"
        assert first.returncode == 2, first.stderr[-3000:]
        errors = [line for line in first.stderr.splitlines() if line.startswith("cfm run: error:")]
        stderr = first.stderr[-3000:]
        assert errors and "connect" in errors[0] and str(urlsplit(url).port) in errors[0], stderr

        assert ensure_embedded(server) == url  # restarted on the same port, after crash recovery
        with psycopg.connect(url) as conn:
            landed = conn.execute(
                "select (select count(*) from raw.file_drop) + (select count(*) from raw.typeform)"
            ).fetchone()[0]
        assert 0 < landed  # the batch committed before the stop survived it

        rerun = cfm(url, "run", "--no-progress")
        assert rerun.returncode == 0, rerun.stderr[-3000:]
        # A crash moves sequences on too (PostgreSQL logs them ahead): surrogate ids are in VOLATILE.
        assert _snapshot(url) == _snapshot(setup["clean_url"])
    finally:
        stop_embedded(server)
        shutil.rmtree(server, ignore_errors=True)


def test_secrets_never_reach_logs_run_log_or_the_report(setup) -> None:
    token = setup["token"]
    url = setup["clean_url"]
    outputs = {
        f"run {i} {stream}": getattr(proc, stream)
        for i, proc in enumerate(setup["concurrent"])
        for stream in ("stdout", "stderr")
    }
    with psycopg.connect(url) as conn:
        outputs["ops.run_log"] = "\n".join(
            str(r) for r in conn.execute("select * from ops.run_log").fetchall()
        )
    for path in (setup["tmp"] / "out").rglob("*"):
        if path.is_file() and path.suffix in (".html", ".eml", ".json", ".txt", ".svg"):
            outputs[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    for path in (PROJECT_ROOT / "dbt" / "logs").glob("*.log"):
        outputs[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    assert any("report.html" in name for name in outputs)
    for name, text in outputs.items():
        assert token not in text, f"the Typeform token leaked into {name}"
        assert AIRFLOW_SECRET not in text, f"the Airflow connection's password leaked into {name}"
