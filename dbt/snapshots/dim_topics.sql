{#- The topic registry as SCD2: a new version whenever a topic's label, keywords, status or merge
    target changes (relabelling, merges, retirements; a split creates new topics). valid_from is
    the registry's updated_at (UTC), so a trend by topic can be read as of any date. Size and the
    emerging flag change on every enrichment run and are not history-worthy; see marts.topics. -#}
{% snapshot dim_topics %}
{{ config(
    schema='marts',
    unique_key='topic_id',
    strategy='check',
    check_cols=['label', 'keywords', 'status', 'merged_into_topic_id'],
    updated_at='updated_at',
    hard_deletes='invalidate',
    grants={'select': ['cfm_analyst']},
) }}

select
    topic_id,
    label,
    keywords,
    status,
    merged_into as merged_into_topic_id,
    embedding_model,
    created_at,
    {{ utc_timestamp('updated_at') }} as updated_at
from {{ source('ml', 'topics') }}

{% endsnapshot %}
