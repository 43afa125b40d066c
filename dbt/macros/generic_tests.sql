{#- Generic tests (no package downloads here, so these replace dbt_utils'). Each selects failing rows. -#}

{% test expression_is_true(model, expression, column_name=none, where_clause=none) %}
select * from {{ model }}
where not ({{ expression }})
{% if where_clause %} and ({{ where_clause }}) {% endif %}
{% endtest %}

{% test accepted_range(model, column_name, min_value=none, max_value=none) %}
select * from {{ model }}
where {{ column_name }} is not null and (
    false
    {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
    {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %}
)
{% endtest %}

{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- No `no_pii` test here: its regexes were not the redactor's. The marts' PII check runs after
    dbt in Python with the redactor's detectors (plugins/cfm/privacy/pii_scan.py). -#}
