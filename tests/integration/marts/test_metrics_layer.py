"""The metrics layer (dbt/models/marts/metrics) on the sample data, checked against an independent
computation: pandas over the canonical records, intervals and tests from scipy.stats and statsmodels.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest
import yaml
from scipy import stats
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from cfm.config import PROJECT_ROOT, load_config
from cfm.pipeline.run import run_pipeline
from cfm.pipeline.transform import run_dbt

DROP = PROJECT_ROOT / "sample_data" / "drop"
CUSTOMERS = PROJECT_ROOT / "sample_data" / "customers"
Z = stats.norm.ppf(0.975)
MIN_RESPONSES = 30
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline_run(make_database, tmp_path_factory) -> Iterator[tuple[str, Any]]:
    from cfm.warehouse.schema import ensure_warehouse

    url = make_database()
    with psycopg.connect(url) as conn:
        ensure_warehouse(conn)
    config = load_config()
    config["sources"] = {
        "file_drop": {"enabled": True, "dir": str(DROP)},
        "customer_drop": {"enabled": True, "dir": str(CUSTOMERS)},
    }
    config["report"]["out_dir"] = str(tmp_path_factory.mktemp("out"))
    config["report"]["min_responses"] = MIN_RESPONSES
    summary = run_pipeline(url, config, "metrics-test")
    yield url, summary


@pytest.fixture(scope="module")
def url(pipeline_run) -> str:
    return pipeline_run[0]


def test_dbt_build_on_the_sample_data_has_no_warnings(pipeline_run) -> None:
    url, summary = pipeline_run
    assert summary.counts["transform"]["dbt_warnings"] == []
    # the check sees warnings when there are some
    assert any("does not match any" in w for w in run_dbt(url, ["ls", "--select", "no_such_model"]))


def _frame(url: str, sql: str) -> pd.DataFrame:
    with psycopg.connect(url) as conn:
        cur = conn.execute(sql)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])


def _customer_attributes(url: str) -> pd.DataFrame:
    """The sample customer file keyed here with the pseudonymisation key (not by the pipeline's SQL):
    one row per customer key with plan, region and tier. The file has one version of each customer,
    so the attributes hold for all of their feedback. Rows the pipeline quarantined are left out."""
    from cfm.privacy.pseudonymise import customer_key, pseudonym_key

    customers = pd.concat(
        [pd.read_csv(path, dtype=str, keep_default_na=False) for path in CUSTOMERS.glob("*.csv")]
    )
    rejected = _frame(
        url,
        "select payload->>'customer_id' as customer_id, payload->>'email' as email "
        "from quarantine.records where source = 'customer_drop'",
    )
    assert len(rejected) == 3  # the sample file's three bad rows
    customers = customers.merge(rejected.assign(rejected=True), on=["customer_id", "email"], how="left")
    customers = customers[customers["rejected"].isna()]
    key = pseudonym_key()
    customers["customer_key"] = [
        customer_key(email or None, cid or None, key)
        for email, cid in zip(customers["email"], customers["customer_id"], strict=True)
    ]
    assert customers["customer_key"].notna().all() and customers["customer_key"].is_unique
    return customers.rename(
        columns={"plan": "customer_plan", "region": "customer_region", "tier": "customer_tier"}
    )[["customer_key", "customer_plan", "customer_region", "customer_tier"]]


@pytest.fixture(scope="module")
def responses(url: str) -> pd.DataFrame:
    """Rated responses from the canonical record, scored here (not by the marts' SQL)."""
    df = _frame(
        url,
        """
        select e.feedback_id, e.rating_type as metric, e.submitted_date as day, e.channel, e.source, e.customer_key,
               coalesce(cast(e.topic_id as text), '(none)') as topic_id, e.ces_higher_is_easier,
               e.rating_value::float as value, e.rating_scale_min::float as lo, e.rating_scale_max::float as hi,
               coalesce(nullif(trim(u.attributes->>'region'), ''), '(none)') as region
        from intermediate.int_feedback_enriched e
        join intermediate.int_feedback_unioned u using (feedback_id)
        where e.rating_type in ('nps', 'csat', 'ces', 'star') and e.rating_value is not null""",
    )
    df["day"] = pd.to_datetime(df["day"])
    df["week"] = df["day"] - pd.to_timedelta(df["day"].dt.weekday, unit="D")  # ISO week: Monday
    df["month"] = df["day"].dt.to_period("M").dt.to_timestamp()
    nps = np.where(df["value"] >= 9, 100.0, np.where(df["value"] >= 7, 0.0, -100.0))
    ease = (
        np.where(df["ces_higher_is_easier"], df["value"] - df["lo"], df["hi"] - df["value"])
        / (df["hi"] - df["lo"])
        * 100
    )
    df["score"] = np.select(
        [df["metric"] == "nps", df["metric"] == "csat", df["metric"] == "ces"],
        [nps, np.where(df["value"] >= df["hi"] - 1, 100.0, 0.0), ease],
        df["value"],
    )
    df["all"] = "all"
    assert set(df["metric"]) == {"nps", "csat", "ces", "star"}
    df = df.merge(_customer_attributes(url), on="customer_key", how="left")
    for column in ("customer_plan", "customer_region", "customer_tier"):
        df[column] = df[column].replace("", None).fillna("(none)")
    return df


@pytest.fixture(scope="module")
def cells(url: str) -> pd.DataFrame:
    df = _frame(url, "select * from marts.metric_cells")
    df["period_start"] = pd.to_datetime(df["period_start"])
    return df


def _expected_cell(scores: np.ndarray, metric: str) -> dict[str, float]:
    n = len(scores)
    mean = scores.mean()
    if metric == "nps":
        pro, det = (scores == 100).sum(), (scores == -100).sum()
        n3, p, d = n + 3, (pro + 0.75) / (n + 3), (det + 0.75) / (n + 3)
        moe = Z * math.sqrt((p + d - (p - d) ** 2) / n3)
        low, high = max(-1, p - d - moe) * 100, min(1, p - d + moe) * 100
        se = 100 * math.sqrt((pro / n + det / n - ((pro - det) / n) ** 2) / n)
    elif metric == "csat":
        satisfied = int((scores == 100).sum())
        low, high = (
            100 * b for b in sm_proportion.proportion_confint(satisfied, n, alpha=0.05, method="wilson")
        )
        se = 100 * math.sqrt(satisfied / n * (1 - satisfied / n) / n)
    else:
        se = stats.sem(scores) if n > 1 else math.nan
        if n < 2:
            low = high = math.nan
        elif se == 0:  # every response the same: the interval is the point (scipy rejects scale 0)
            low = high = mean
        else:
            low, high = stats.t.interval(0.95, n - 1, loc=mean, scale=se)
    return {"n": n, "value": mean, "ci_low": low, "ci_high": high, "se": se}


@pytest.mark.parametrize("grain", ["week", "month"])
@pytest.mark.parametrize("metric", ["nps", "csat", "ces", "star"])
@pytest.mark.parametrize("dimension", ["all", "channel", "region", "customer_plan", "customer_region"])
def test_cells_equal_an_independent_computation(responses, cells, grain, metric, dimension) -> None:
    got = cells[(cells.metric == metric) & (cells.grain == grain) & (cells.dimension == dimension)]
    got = got.set_index(["period_start", "dimension_value"])
    expected = {
        key: _expected_cell(group["score"].to_numpy(), metric)
        for key, group in responses[responses.metric == metric].groupby([grain, dimension])
    }
    assert set(got.index) == set(expected)
    for key, e in expected.items():
        row = got.loc[key]
        assert row["responses"] == e["n"]
        assert row["value"] == pytest.approx(e["value"], abs=1e-9)
        assert bool(row["is_small_sample"]) == (e["n"] < MIN_RESPONSES)
        if math.isnan(e["ci_low"]):
            assert pd.isna(row["ci_low"])
        else:
            assert (row["ci_low"], row["ci_high"]) == pytest.approx((e["ci_low"], e["ci_high"]), abs=1e-5)
            assert row["standard_error"] == pytest.approx(e["se"], abs=1e-9)


def test_nps_by_customer_plan_is_cut_by_the_customers_own_plan(responses, cells) -> None:
    """Guards the parametrised check above against a join that matches nobody (every plan '(none)')."""
    nps = responses[responses.metric == "nps"]
    assert (nps["customer_plan"] != "(none)").mean() > 0.5 and nps["customer_plan"].nunique() >= 3
    monthly = cells[(cells.metric == "nps") & (cells.grain == "month") & (cells.dimension == "customer_plan")]
    assert set(monthly["dimension_value"]) == set(nps["customer_plan"])
    for (month, plan), group in nps.groupby(["month", "customer_plan"]):
        row = monthly[(monthly.period_start == month) & (monthly.dimension_value == plan)].iloc[0]
        pro, det, n = (group["value"] >= 9).sum(), (group["value"] <= 6).sum(), len(group)
        assert (row["promoters"], row["detractors"], row["responses"]) == (pro, det, n)


def test_small_sample_is_judged_at_the_cells_own_grain(cells) -> None:
    # The old marts flagged every weekly row small because the flag was per day.
    weekly = cells[(cells.metric == "nps") & (cells.grain == "week") & (cells.dimension == "all")]
    daily = cells[(cells.metric == "nps") & (cells.grain == "day") & (cells.dimension == "all")]
    assert daily["is_small_sample"].all()
    assert (~weekly["is_small_sample"]).any()
    assert (weekly["is_small_sample"] == (weekly["responses"] < MIN_RESPONSES)).all()


def test_t_quantile_seed_matches_scipy(url) -> None:
    seed = _frame(url, "select df, t_975 from marts.t_quantiles order by df")
    assert list(seed["df"]) == list(range(1, 1001))
    assert np.allclose(seed["t_975"], stats.t.ppf(0.975, seed["df"]), rtol=0, atol=1e-9)


def _change_test(cur: np.ndarray, prev: np.ndarray, metric: str) -> tuple[float, float, float]:
    """(difference, standard error, p) by the library test for each metric."""
    diff = cur.mean() - prev.mean()
    if metric == "csat":
        p1, p2 = (cur == 100).mean(), (prev == 100).mean()
        res = sm_proportion.test_proportions_2indep(
            int((cur == 100).sum()),
            len(cur),
            int((prev == 100).sum()),
            len(prev),
            method="wald",
            compare="diff",
        )
        se = 100 * math.sqrt(p1 * (1 - p1) / len(cur) + p2 * (1 - p2) / len(prev))
        return diff, se, res.pvalue if se else math.nan
    if metric == "nps":  # Wald on the +100/0/-100 scores, population variance (as the NPS standard error)
        se = math.sqrt(cur.var() / len(cur) + prev.var() / len(prev))
        return diff, se, 2 * stats.norm.sf(abs(diff / se)) if se else math.nan
    if len(cur) < 2 or len(prev) < 2:
        return diff, math.nan, math.nan
    compare = CompareMeans(DescrStatsW(cur), DescrStatsW(prev))
    se = compare.std_meandiff_separatevar
    return diff, se, compare.ztest_ind(usevar="unequal")[1] if se else math.nan


@pytest.mark.parametrize("grain", ["week", "month"])
@pytest.mark.parametrize("metric", ["nps", "csat", "ces", "star"])
def test_changes_p_and_q_values_equal_scipy_and_statsmodels(url, responses, grain, metric) -> None:
    got = _frame(
        url,
        f"select * from marts.metric_changes where grain = '{grain}' and metric = '{metric}' "
        "and dimension in ('all', 'channel', 'region')",
    )
    got["period_start"] = pd.to_datetime(got["period_start"])
    got = got.set_index(["dimension", "period_start", "dimension_value"])
    offset = pd.DateOffset(weeks=1) if grain == "week" else pd.DateOffset(months=1)
    rows = responses[responses.metric == metric]
    checked = tested = 0
    for dimension in ("all", "channel", "region"):
        groups = {k: g["score"].to_numpy() for k, g in rows.groupby([grain, dimension])}
        family: dict[pd.Timestamp, list[tuple[str, float]]] = {}
        for (period, value), cur in groups.items():
            prev = groups.get((period - offset, value))
            if prev is None:
                assert (dimension, period, value) not in got.index
                continue
            row = got.loc[(dimension, period, value)]
            diff, se, p = _change_test(cur, prev, metric)
            assert row["difference"] == pytest.approx(diff, abs=1e-9)
            if math.isnan(p):
                assert pd.isna(row["p_value"])
            else:
                assert row["p_value"] == pytest.approx(p, abs=1e-6)
                assert row["difference_se"] == pytest.approx(se, rel=1e-9)
                assert row["difference_ci_low"] == pytest.approx(diff - Z * se, abs=1e-9)
                if len(cur) >= MIN_RESPONSES and len(prev) >= MIN_RESPONSES:
                    family.setdefault(period, []).append((value, p))
            checked += 1
        for period, members in family.items():
            q = multipletests([p for _, p in members], method="fdr_bh")[1]
            for (value, _), expected_q in zip(members, q, strict=True):
                row = got.loc[(dimension, period, value)]
                assert row["family_size"] == len(members)
                assert row["q_value"] == pytest.approx(expected_q, abs=1e-6)
                assert bool(row["is_significant"]) == (expected_q < 0.05)
                tested += 1
    assert checked > 10
    assert tested > 0 or grain == "week"  # the sample's weeks are mostly under min_responses
    assert got["q_value"].notna().sum() == tested


def test_topic_impact_equals_nps_with_and_without_the_topic(url, responses) -> None:
    got = _frame(url, "select * from marts.nps_topic_impact where grain = 'month'")
    got["period_start"] = pd.to_datetime(got["period_start"])
    nps = responses[responses.metric == "nps"]
    assert len(got) > 20
    for _, row in got.iterrows():
        month = nps[nps.month == row["period_start"]]
        inside, rest = (
            month[month.topic_id == row["topic_id"]]["score"],
            month[month.topic_id != row["topic_id"]]["score"],
        )
        impact = month["score"].mean() - rest.mean()
        se = (
            len(inside)
            / len(month)
            * math.sqrt(inside.var(ddof=0) / len(inside) + rest.var(ddof=0) / len(rest))
        )
        assert row["topic_responses"] == len(inside)
        assert row["impact"] == pytest.approx(impact, abs=1e-9)
        assert (row["impact_ci_low"], row["impact_ci_high"]) == pytest.approx(
            (impact - Z * se, impact + Z * se), abs=1e-9
        )
    for _, period in got.groupby("period_start"):
        assert period["relative_importance"].sum() == pytest.approx(1.0)
        ranked = period.sort_values("importance_rank")
        assert list(ranked["impact"].abs()) == sorted(period["impact"].abs(), reverse=True)


def test_mix_plus_rate_equals_the_total_nps_change(url, responses) -> None:
    got = _frame(url, "select * from marts.nps_change_decomposition")
    nps = responses[responses.metric == "nps"]
    dbt_vars = yaml.safe_load((PROJECT_ROOT / "dbt" / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    segments = [
        *dbt_vars["segment_columns"],
        *(f"customer_{name}" for name in dbt_vars["customer_dimensions"]),
    ]
    assert set(got["dimension"]) == {"source", "channel", "category", "topic", *segments}
    for (grain, period, previous, _dimension), family in got.groupby(
        ["grain", "period_start", "previous_period_start", "dimension"]
    ):
        col = grain
        expected = (
            nps[nps[col] == pd.Timestamp(period)]["score"].mean()
            - nps[nps[col] == pd.Timestamp(previous)]["score"].mean()
        )
        assert family["nps_change"].iloc[0] == pytest.approx(expected, abs=1e-9)
        assert (family["mix_effect"] + family["rate_effect"]).sum() == pytest.approx(expected, abs=1e-9)
        assert family["share"].sum() == pytest.approx(1.0) and family[
            "previous_share"
        ].sum() == pytest.approx(1.0)
    assert (got["mix_effect"].abs() > 0).any() and (got["rate_effect"].abs() > 0).any()


def test_suppress_policy_nulls_small_cells_and_keeps_counts(url) -> None:
    run_dbt(
        url,
        ["run", "--select", "metric_cells"],
        vars={"min_responses": MIN_RESPONSES, "small_cells": "suppress"},
    )
    try:
        small = _frame(
            url,
            "select responses, value, ci_low, success_pct, is_suppressed from marts.metric_cells "
            f"where responses < {MIN_RESPONSES}",
        )
        large = _frame(
            url, f"select value, is_suppressed from marts.metric_cells where responses >= {MIN_RESPONSES}"
        )
        assert len(small) and len(large)
        assert small[["value", "ci_low", "success_pct"]].isna().all().all() and small["is_suppressed"].all()
        assert (small["responses"] > 0).all()
        assert large["value"].notna().all() and not large["is_suppressed"].any()
    finally:
        run_dbt(
            url,
            ["run", "--select", "metric_cells"],
            vars={"min_responses": MIN_RESPONSES, "small_cells": "flag"},
        )


def test_dim_topics_keeps_each_version_of_a_topic(url) -> None:
    with psycopg.connect(url) as conn:
        topic_id, label = conn.execute(
            "select topic_id, label from ml.topics order by topic_id limit 1"
        ).fetchone()
        conn.execute(
            "update ml.topics set label = 'relabelled by the test', updated_at = now() where topic_id = %s",
            (topic_id,),
        )
    run_dbt(url, ["snapshot", "--select", "dim_topics"])
    versions = _frame(
        url,
        f"select label, dbt_valid_from, dbt_valid_to from marts.dim_topics where topic_id = {topic_id} "
        "order by dbt_valid_from",
    )
    assert list(versions["label"]) == [label, "relabelled by the test"]
    assert versions["dbt_valid_to"].iloc[0] == versions["dbt_valid_from"].iloc[1]
    assert pd.isna(versions["dbt_valid_to"].iloc[1])
    current = _frame(url, "select count(*) as n from marts.dim_topics where dbt_valid_to is null")["n"].iloc[
        0
    ]
    assert current == _frame(url, "select count(*) as n from ml.topics")["n"].iloc[0]
