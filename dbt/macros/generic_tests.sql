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

{% test no_pii(model, column_name) %}
{#- Fails on anything that still looks like an email, a phone number or a card number. -#}
select * from {{ model }}
where {{ column_name }} ~* '[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}'
   or {{ column_name }} ~ '\+?[0-9٠-٩][0-9٠-٩ ()-]{8,}[0-9٠-٩]'
{% endtest %}
