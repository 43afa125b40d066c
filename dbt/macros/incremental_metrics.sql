{#-
  Incremental builds of the metric marts (fct_metric_responses, metric_cells). A full refresh
  (`dbt build --full-refresh`) gives the same rows.

  fct_metric_responses rewrites, like fct_feedback, the records changed since its last build
  (changed_at, less var incremental_lookback_hours) and those whose customer attributes or topic
  label moved since (fct_feedback rewrote them without a new change marker); a post-hook drops the
  rows whose record is gone or no longer gives that metric (invalidated, erased, edited).

  metric_cells rewrites whole periods (delete+insert on metric, grain, period_start): the days
  whose responses changed, found by an order-independent checksum of each (metric, day)'s
  fct_metric_responses rows, kept on the day's 'all' cell (responses_checksum), so that new,
  edited, relabelled, re-attributed and deleted responses (retention, erasure) all show. Only those
  days are recounted from the responses; the weeks and months holding them are rolled up again from
  their day cells (the ones just recounted and the others as built: counts and exact sums add up).

  metric_changes rewrites the periods whose responses checksum, or whose previous period's, changed.
-#}

{#- feedback_ids whose fct_metric_responses rows are stale although their change marker is old. -#}
{% macro metric_responses_moved(relation) -%}
    select t.feedback_id
    from {{ relation }} t
    join {{ ref('fct_feedback') }} f on f.feedback_id = t.feedback_id
    where (t.topic_label
        {%- for attribute in customer_dimension_columns() %}, t.{{ attribute }}{% endfor %})
        is distinct from (coalesce(f.topic_label, '(none)')
        {%- for attribute in customer_dimension_columns() %}, coalesce(cast(f.{{ attribute }} as {{ dbt.type_string() }}), '(none)'){% endfor %})
{%- endmacro %}

{#- Post-hook of fct_metric_responses: drop rows whose record int_feedback_enriched no longer has, or no longer rates so. -#}
{% macro delete_metric_responses_gone_upstream() -%}
  {%- if is_incremental() -%}
    delete from {{ this }} t
    where not exists (
        select 1 from {{ ref('int_feedback_enriched') }} e
        where e.feedback_id = t.feedback_id
            and ((t.metric = 'negative_share' and e.sentiment_label is not null)
                 or (t.metric = e.rating_type and e.rating_value is not null))
    )
  {%- endif -%}
{%- endmacro %}

{#-
  The checksum of a set of fct_metric_responses rows `row_alias`: changes when any of their values
  does, and with the settings the cells depend on (min_responses, small_cells), so that changing
  them recomputes every cell.
-#}
{% macro metric_responses_checksum(row_alias) -%}
    {{ return(adapter.dispatch('metric_responses_checksum', 'cfm')(row_alias)) }}
{%- endmacro %}

{% macro default__metric_responses_checksum(row_alias) -%}
    cast(sum(hash(cast({{ row_alias }} as {{ dbt.type_string() }})
        || '|{{ min_responses() }}|{{ small_cell_policy() }}')) as {{ checksum_type() }})
{%- endmacro %}

{#- PostgreSQL: a 64-bit hash of the row's text. -#}
{% macro postgres__metric_responses_checksum(row_alias) -%}
    cast(sum(hashtextextended(cast({{ row_alias }} as {{ dbt.type_string() }})
        || '|{{ min_responses() }}|{{ small_cell_policy() }}', 0)) as {{ checksum_type() }})
{%- endmacro %}

{#- The checksums' type: a sum of up to 1e19 64-bit hashes. -#}
{% macro checksum_type() -%}
    numeric(38, 0)
{%- endmacro %}

{#-
  The config metric_cells and metric_changes share: rewritten by whole periods (delete+insert on
  metric, grain and period_start, indexed on them). Each adds its own post-hook.
-#}
{% macro period_metric_config() -%}
    {{ return({
        'materialized': 'incremental',
        'unique_key': ['metric', 'grain', 'period_start'],
        'incremental_strategy': 'delete+insert',
        'on_schema_change': 'append_new_columns',
        'indexes': [{'columns': ['metric', 'grain', 'period_start']}],
    }) }}
{%- endmacro %}

{#- The start of the period before `period_expr`, of grain `grain_expr` (a column: day, week or month). -#}
{% macro previous_period_start(grain_expr, period_expr) -%}
    case {{ grain_expr }}
        when 'day' then {{ shift_period('day', period_expr, -1) }}
        when 'week' then {{ shift_period('week', period_expr, -1) }}
        else {{ shift_period('month', period_expr, -1) }}
    end
{%- endmacro %}

{#-
  Post-hook of metric_changes: drop the rows of periods that no longer have a pair to compare
  (this period or the previous one lost its last response): the build writes no row for them.
-#}
{% macro delete_metric_changes_of_gone_periods() -%}
  {%- if is_incremental() -%}
    delete from {{ this }} t
    where not exists (
        select 1 from {{ ref('metric_cells') }} cur
        join {{ ref('metric_cells') }} prev
            on prev.metric = cur.metric and prev.grain = cur.grain and prev.dimension = 'all'
            and prev.period_start = {{ previous_period_start('cur.grain', 'cur.period_start') }}
        where cur.dimension = 'all' and cur.metric = t.metric and cur.grain = t.grain and cur.period_start = t.period_start
    )
  {%- endif -%}
{%- endmacro %}

{#-
  Post-hook of metric_cells: drop the cells of periods that have no response left (all erased or
  moved): the build writes no row for them, so delete+insert leaves their old cells.
-#}
{% macro delete_metric_cells_of_empty_periods() -%}
  {%- if is_incremental() -%}
    with days as (
        select distinct metric, response_date from {{ ref('fct_metric_responses') }}
    ),
    periods as (
        {%- for grain in ['day', 'week', 'month'] %}
        select distinct metric, '{{ grain }}' as grain, {{ period_start(grain, 'response_date') }} as period_start from days
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    )
    delete from {{ this }} c
    where not exists (
        select 1 from periods p
        where p.metric = c.metric and p.grain = c.grain and p.period_start = c.period_start
    )
  {%- endif -%}
{%- endmacro %}
