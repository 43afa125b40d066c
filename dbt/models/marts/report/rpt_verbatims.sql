-- Verbatims for the report: for each period's top topics (by volume), the latest negative
-- comment in every language present. Text is redacted upstream; the report still escapes it.
with

feedback as (
    select
        {{ period_start(var('report_period_grain'), 'submitted_date') }} as period_start,
        feedback_id,
        topic_id,
        topic_label,
        language,
        text_redacted,
        source,
        channel,
        submitted_at,
        submitted_date,
        sentiment_label
    from {{ ref('fct_feedback') }}
    where topic_id is not null
),

topic_rank as (
    select
        period_start,
        topic_id,
        count(*) as topic_responses,
        row_number() over (partition by period_start order by count(*) desc, topic_id) as topic_rank
    from feedback
    group by period_start, topic_id
),

latest_per_language as (
    select
        f.*,
        row_number() over (
            partition by f.period_start, f.topic_id, f.language order by f.submitted_at desc, f.feedback_id
        ) as recency_rank
    from feedback f
    where f.sentiment_label = 'negative' and nullif(trim(f.text_redacted), '') is not null
)

select
    v.period_start,
    to_char(v.period_start, 'YYYY-MM') as period,
    cast(v.topic_id as bigint) as topic_id,
    v.topic_label,
    r.topic_rank,
    r.topic_responses,
    v.feedback_id,
    v.language,
    case when v.language in ('ar', 'he', 'fa', 'ur') then 'rtl' else 'ltr' end as text_direction,
    v.text_redacted,
    v.source,
    v.channel,
    v.submitted_date
from latest_per_language v
join topic_rank r using (period_start, topic_id)
where v.recency_rank = 1 and r.topic_rank <= {{ var('report_top_topics', 5) }}
