{#- SCD2 history of each case's state (fct_cases), one version per change of what a support lead tracks. -#}
{% snapshot case_state_snapshot %}
{{ config(
    schema='marts',
    unique_key='case_id',
    strategy='check',
    check_cols=['status', 'priority', 'department', 'queue', 'owner', 'first_response_at', 'resolved_at',
                'closed_at', 'root_cause', 'resolution_code', 'reopened_count', 'is_first_response_breached',
                'is_resolution_breached'],
    grants={'select': ['cfm_analyst']},
) }}
select
    case_id, customer_key, priority, department, queue, owner, status, opened_at, first_response_at,
    first_response_due_at, resolution_due_at, resolved_at, closed_at, root_cause, resolution_code,
    compensation_amount, reopened_count, is_first_response_breached, is_resolution_breached
from {{ ref('fct_cases') }}
{% endsnapshot %}
