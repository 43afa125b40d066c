{#-
  Incremental builds of the feedback models (int_feedback_enriched, fct_feedback).

  A build rewrites the records whose change marker (changed_at: the latest of the raw version's
  extracted_at, validated_at, enriched_at and the topic assignment's assigned_at) is
  at or after the last build's latest marker less var incremental_lookback_hours. The lookback
  covers writes that commit after a later-stamped one (a long enrichment run) and re-deliveries
  of edited records. A full refresh (`dbt build --full-refresh`) gives the same rows.
-#}

{#-
  The earliest change marker a build must still look at. Read before the build and written into
  its SQL as a constant, so that PostgreSQL estimates the few changed rows from the markers'
  indexes (a subquery there is guessed at a third of the table, which picks full scans).
-#}
{% macro incremental_cutoff(relation) -%}
    {%- set query -%}
        select cast(coalesce(max(changed_at), '-infinity'::timestamptz)
                    - interval '{{ var("incremental_lookback_hours") }} hours' as text)
        from {{ relation }}
    {%- endset -%}
    {%- set cutoff = run_query(query).columns[0].values()[0] if execute else '-infinity' -%}
    cast('{{ cutoff }}' as timestamptz)
{%- endmacro %}

{#-
  (source, account, source_record_id) of every record to rebuild: re-delivered or re-validated
  records, records (re-)enriched or (re-)assigned a topic since, and records of a relabelled
  topic. Keyed like the raw tables so that the staging views are only computed for those rows.
-#}
{% macro changed_feedback_keys(relation) -%}
    {%- set cutoff = incremental_cutoff(relation) -%}
    select source, account, source_record_id
    from {{ ref('int_feedback_unioned') }}
    where extracted_at >= {{ cutoff }}
    union
    select v.source, v.account, v.source_record_id
    from {{ source('ops', 'validated_records') }} v
    where v.passed and v.validated_at >= {{ cutoff }}
    union
    -- (a semi-join of its own: `validated_at >= cutoff or feedback_id in (...)` makes PostgreSQL test the
    -- subquery row by row when its result outgrows work_mem, minutes at 100k records)
    select v.source, v.account, v.source_record_id
    from {{ source('ops', 'validated_records') }} v
    where v.passed
        and {{ feedback_id('v.source', 'v.account', 'v.source_record_id') }} in ({{ derived_changes(relation, cutoff) }})
    union
    -- retained records (ml.retained_feedback) have no verdict left; their enrichment and topic still change
    select u.source, u.account, u.source_record_id
    from {{ ref('int_feedback_unioned') }} u
    where u.is_retained and u.feedback_id in ({{ derived_changes(relation, cutoff) }})
{%- endmacro %}

{#- feedback_ids (re-)enriched or (re-)assigned a topic since the cutoff, or whose topic was relabelled. -#}
{% macro derived_changes(relation, cutoff) -%}
    select feedback_id from {{ source('ml', 'feedback_enrichment') }} where enriched_at >= {{ cutoff }}
    union all
    select feedback_id from {{ source('ops', 'enriched_records') }} where enriched_at >= {{ cutoff }}
    union all
    select feedback_id from {{ source('ml', 'topic_assignments') }} where assigned_at >= {{ cutoff }}
    union all
    {{ relabelled_feedback(relation) }}
{%- endmacro %}

{#-
  Post-hook of an incremental build: drop the records whose current version failed validation
  (a re-delivered edit that is now invalid). A full refresh never selects them.
-#}
{% macro delete_invalidated_feedback() -%}
  {%- if is_incremental() -%}
    delete from {{ this }} t
    using {{ source('ops', 'validated_records') }} v
    where not v.passed
      and t.feedback_id = {{ feedback_id('v.source', 'v.account', 'v.source_record_id') }}
  {%- endif -%}
{%- endmacro %}

{#-
  Post-hook of fct_feedback's incremental build: drop the records int_feedback_enriched no longer
  has (invalidated since the last build). Erasure deletes from both tables itself.
-#}
{% macro delete_feedback_gone_upstream() -%}
  {%- if is_incremental() -%}
    delete from {{ this }} t
    where not exists (select 1 from {{ ref('int_feedback_enriched') }} i where i.feedback_id = t.feedback_id)
  {%- endif -%}
{%- endmacro %}

{#-
  Built records whose topic now has another label (ml.topics.updated_at also moves when only a
  topic's size does, so the label itself is compared). A topic is looked up in `relation`'s
  (topic_id, topic_label) index for a row with another label, then only its rows are read, so an
  incremental build does not scan the whole table for the few topics relabelled.
-#}
{% macro relabelled_feedback(relation) -%}
    select b.feedback_id
    from {{ source('ml', 'topics') }} t
    join {{ relation }} b on b.topic_id = t.topic_id
    where (exists (select 1 from {{ relation }} o where o.topic_id = t.topic_id and o.topic_label < t.label)
           or exists (select 1 from {{ relation }} o where o.topic_id = t.topic_id and o.topic_label > t.label)
           or exists (select 1 from {{ relation }} o where o.topic_id = t.topic_id and o.topic_label is null))
        and b.topic_label is distinct from t.label
{%- endmacro %}

{#-
  Post-hook: the (topic_id, topic_label) index relabelled_feedback looks topics up in. A hook, not
  the model's `indexes` config (created with the table only), so that a table built before it gets
  it on its next incremental build; named as PostgreSQL names the copy the marts' shadow build
  seeds (cfm.warehouse.marts_publish), so that copy is not indexed twice. Also a pre-hook of
  incremental builds (only_incremental), so a table built before it has it when the build looks.
-#}
{% macro topic_label_index(only_incremental=false) -%}
    {%- if is_incremental() or not only_incremental %}
    create index if not exists {{ this.identifier }}_topic_id_topic_label_idx on {{ this }} (topic_id, topic_label)
    {%- endif %}
{%- endmacro %}
