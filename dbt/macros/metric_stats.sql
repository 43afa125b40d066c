{#-
  Statistics for the metrics layer (marts/metrics). Every macro is a thin adapter.dispatch over a
  default__ built from dbt's cross-database macros and plain SQL, so another warehouse is an
  adapter change. Values are on the reporting scale: NPS -100..100, CSAT and "% easy" 0..100,
  CES ease 0..100 (100 = easiest), stars 1..5. Formulas are documented in _metrics__models.yml.
-#}

{#- The one place that reads the small-cell configuration (cfm.yml report.min_responses and
    report.small_cells, passed in as dbt vars by cfm.pipeline.transform). -#}
{% macro min_responses() -%}
    {{ return(var('min_responses') | int) }}
{%- endmacro %}

{% macro small_cell_policy() -%}
    {%- set policy = var('small_cells', 'flag') -%}
    {%- if policy not in ('flag', 'suppress') -%}
        {{ exceptions.raise_compiler_error("var small_cells (cfm.yml report.small_cells) must be 'flag' or 'suppress', got " ~ policy) }}
    {%- endif -%}
    {{ return(policy) }}
{%- endmacro %}

{#- A value of a cell with n responses: null when the cell is small and the policy is 'suppress'. -#}
{% macro suppressible(expr, responses) -%}
    {%- if small_cell_policy() == 'suppress' -%}
        case when {{ responses }} >= {{ min_responses() }} then {{ expr }} end
    {%- else -%}
        {{ expr }}
    {%- endif -%}
{%- endmacro %}

{#- Start of the day / ISO week (Monday) / month containing a date. -#}
{% macro period_start(grain, date_expr) -%}
    {{ return(adapter.dispatch('period_start', 'cfm')(grain, date_expr)) }}
{%- endmacro %}

{% macro default__period_start(grain, date_expr) -%}
    {%- if grain == 'day' -%}
        cast({{ date_expr }} as date)
    {%- else -%}
        cast({{ dbt.date_trunc(grain, date_expr) }} as date)
    {%- endif -%}
{%- endmacro %}

{#- The period `periods` grains before (negative) or after a period start. -#}
{% macro shift_period(grain, date_expr, periods) -%}
    {{ return(adapter.dispatch('shift_period', 'cfm')(grain, date_expr, periods)) }}
{%- endmacro %}

{% macro default__shift_period(grain, date_expr, periods) -%}
    cast({{ dbt.dateadd(grain, periods, date_expr) }} as date)
{%- endmacro %}

{#- Standard normal CDF. Abramowitz & Stegun 26.2.17 (absolute error < 7.5e-8): PostgreSQL 15
    has no erf(), and the same expression runs on any warehouse. -#}
{% macro normal_cdf(z) -%}
    {{ return(adapter.dispatch('normal_cdf', 'cfm')(z)) }}
{%- endmacro %}

{% macro default__normal_cdf(z) -%}
    {#- |z| capped at 37: the tail is then below 1e-290, and exp() of a float must not underflow. -#}
    {%- set x = 'least(abs(cast(' ~ z ~ ' as ' ~ dbt.type_float() ~ ')), 37.0)' -%}
    {%- set t = '(1.0 / (1.0 + 0.2316419 * ' ~ x ~ '))' -%}
    {%- set tail -%}
        (exp(-0.5 * {{ x }} * {{ x }}) / 2.506628274631000502 * {{ t }} * (0.319381530 + {{ t }} * (-0.356563782
            + {{ t }} * (1.781477937 + {{ t }} * (-1.821255978 + {{ t }} * 1.330274429)))))
    {%- endset -%}
    (case when {{ z }} >= 0 then 1.0 - {{ tail }} else {{ tail }} end)
{%- endmacro %}

{#- Two-sided p-value of a z statistic (null when z is null). -#}
{% macro two_sided_p(z) -%}
    (2.0 * (1.0 - {{ normal_cdf('abs(' ~ z ~ ')') }}))
{%- endmacro %}

{#- 97.5% quantile of Student's t with df degrees of freedom: the seed t_quantiles (df 1..1000,
    written from scipy.stats.t.ppf and tested against it) joined as `tq`, and beyond it the
    first Cornish-Fisher term (error < 3e-6). -#}
{% macro t_quantile_975(df, seed_alias='tq') -%}
    {{ return(adapter.dispatch('t_quantile_975', 'cfm')(df, seed_alias)) }}
{%- endmacro %}

{% macro default__t_quantile_975(df, seed_alias) -%}
    case
        when {{ df }} < 1 then null
        when {{ df }} <= 1000 then {{ seed_alias }}.t_975
        else 1.959963984540054 + (power(1.959963984540054, 3) + 1.959963984540054) / (4.0 * {{ df }})
    end
{%- endmacro %}

{#- NPS (-100..100) from counts, unrounded. -#}
{% macro nps_value(promoters, detractors, responses) -%}
    {{ return(adapter.dispatch('nps_value', 'cfm')(promoters, detractors, responses)) }}
{%- endmacro %}

{% macro default__nps_value(promoters, detractors, responses) -%}
    (100.0 * ({{ promoters }} - {{ detractors }}) / nullif({{ responses }}, 0))
{%- endmacro %}

{#- Standard error of NPS (Wald, per-response scores +100/0/-100): 100 * sqrt((p + d - (p - d)^2) / n). -#}
{% macro nps_se(promoters, detractors, responses) -%}
    {{ return(adapter.dispatch('nps_se', 'cfm')(promoters, detractors, responses)) }}
{%- endmacro %}

{% macro default__nps_se(promoters, detractors, responses) -%}
    {%- set p = '(1.0 * ' ~ promoters ~ ' / nullif(' ~ responses ~ ', 0))' -%}
    {%- set d = '(1.0 * ' ~ detractors ~ ' / nullif(' ~ responses ~ ', 0))' -%}
    (100.0 * sqrt(greatest({{ p }} + {{ d }} - power({{ p }} - {{ d }}, 2), 0) / nullif({{ responses }}, 0)))
{%- endmacro %}

{#- 95% adjusted-Wald interval bound for NPS: add 3 to n and 0.75 to promoters and detractors;
    clipped to -100..100. Unrounded. -#}
{% macro nps_adjusted_wald(promoters, detractors, responses, bound) -%}
    {{ return(adapter.dispatch('nps_adjusted_wald', 'cfm')(promoters, detractors, responses, bound)) }}
{%- endmacro %}

{% macro default__nps_adjusted_wald(promoters, detractors, responses, bound) -%}
    {%- set n = '(' ~ responses ~ ' + 3.0)' -%}
    {%- set p = '((' ~ promoters ~ ' + 0.75) / ' ~ n ~ ')' -%}
    {%- set d = '((' ~ detractors ~ ' + 0.75) / ' ~ n ~ ')' -%}
    {%- set centre = '(' ~ p ~ ' - ' ~ d ~ ')' -%}
    {%- set moe = '1.959963984540054 * sqrt((' ~ p ~ ' + ' ~ d ~ ' - power(' ~ centre ~ ', 2)) / ' ~ n ~ ')' -%}
    case when {{ responses }} > 0 then
        100.0 * {{ 'greatest(-1.0, ' ~ centre ~ ' - ' ~ moe ~ ')' if bound == 'low' else 'least(1.0, ' ~ centre ~ ' + ' ~ moe ~ ')' }}
    end
{%- endmacro %}

{#- 95% Wilson score interval bound for a proportion, in percent. -#}
{% macro wilson_bound(successes, responses, bound) -%}
    {{ return(adapter.dispatch('wilson_bound', 'cfm')(successes, responses, bound)) }}
{%- endmacro %}

{% macro default__wilson_bound(successes, responses, bound) -%}
    {%- set z = '1.959963984540054' -%}
    {%- set n = '(1.0 * ' ~ responses ~ ')' -%}
    {%- set p = '(1.0 * ' ~ successes ~ ' / nullif(' ~ responses ~ ', 0))' -%}
    {%- set centre = '(' ~ p ~ ' + ' ~ z ~ ' * ' ~ z ~ ' / (2 * ' ~ n ~ '))' -%}
    {%- set spread = z ~ ' * sqrt(' ~ p ~ ' * (1 - ' ~ p ~ ') / ' ~ n ~ ' + ' ~ z ~ ' * ' ~ z ~ ' / (4 * ' ~ n ~ ' * ' ~ n ~ '))' -%}
    case when {{ responses }} > 0 then
        100.0 * ({{ centre }} {{ '-' if bound == 'low' else '+' }} {{ spread }}) / (1 + {{ z }} * {{ z }} / {{ n }})
    end
{%- endmacro %}

{#- Standard error of a percentage (Wald): 100 * sqrt(p (1 - p) / n). -#}
{% macro proportion_se(successes, responses) -%}
    {{ return(adapter.dispatch('proportion_se', 'cfm')(successes, responses)) }}
{%- endmacro %}

{% macro default__proportion_se(successes, responses) -%}
    {%- set p = '(1.0 * ' ~ successes ~ ' / nullif(' ~ responses ~ ', 0))' -%}
    (100.0 * sqrt({{ p }} * (1 - {{ p }}) / nullif({{ responses }}, 0)))
{%- endmacro %}

{#- Sample standard deviation (n - 1) from n, sum and sum of squares. -#}
{% macro sample_sd(total, total_sq, responses) -%}
    {{ return(adapter.dispatch('sample_sd', 'cfm')(total, total_sq, responses)) }}
{%- endmacro %}

{% macro default__sample_sd(total, total_sq, responses) -%}
    case when {{ responses }} > 1 then
        sqrt(greatest(({{ total_sq }} - 1.0 * {{ total }} * {{ total }} / {{ responses }}) / ({{ responses }} - 1), 0))
    end
{%- endmacro %}

{#- The dimensions the metric marts cut by, as (name, value column, label column) of
    fct_metric_responses: everything ('all'), source, channel, category, topic, channel x topic
    (value 'channel|topic_id', label the topic's; the report's segment x topic cells and shift
    alerts), the configured segment columns (var segment_columns) and customer attributes
    (var customer_dimensions). -#}
{% macro metric_dimensions() -%}
    {%- set dims = [('all', "'all'", "'all'"), ('source', 'source', 'source'), ('channel', 'channel', 'channel'),
                    ('category', 'category', 'category'), ('topic', 'topic_id', 'topic_label'),
                    ('channel_topic', dbt.concat(['channel', "'|'", 'topic_id']), 'topic_label')] -%}
    {%- for segment in var('segment_columns') + customer_dimension_columns() -%}
        {%- do dims.append((segment, adapter.quote(segment), adapter.quote(segment))) -%}
    {%- endfor -%}
    {{ return(dims) }}
{%- endmacro %}

{#- An exact decimal type for the additive sums: sum of squares minus squared sum cancels badly in
    floats. 12 decimals keep the float scores (e.g. CES ease 33.333...) to 1e-12. -#}
{% macro type_exact_decimal() -%}
    {{ return(adapter.dispatch('type_exact_decimal', 'cfm')()) }}
{%- endmacro %}

{% macro default__type_exact_decimal() -%}
    numeric(38, 12)
{%- endmacro %}

{#- A timestamp with time zone as a UTC timestamp without one (what dbt's snapshot columns hold). -#}
{% macro utc_timestamp(ts) -%}
    {{ return(adapter.dispatch('utc_timestamp', 'cfm')(ts)) }}
{%- endmacro %}

{% macro default__utc_timestamp(ts) -%}
    {{ dbt.cast(ts, api.Column.translate_type('timestamp')) }}
{%- endmacro %}

{% macro postgres__utc_timestamp(ts) -%}
    ({{ ts }} at time zone 'UTC')
{%- endmacro %}
