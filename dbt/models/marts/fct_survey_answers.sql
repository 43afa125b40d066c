-- One row per answer of a valid survey response. Free-text answers carry no value here
-- (they may hold PII; the redacted open text is fct_feedback.text_redacted).
{%- set structured = ['choice', 'multi_choice', 'multiple_choice', 'dropdown', 'nps', 'nps_group', 'opinion_scale',
                      'rating', 'number', 'boolean', 'yes_no', 'date', 'ranking', 'matrix', 'picture_choice'] %}

select
    a.answer_id,
    a.feedback_id,
    a.source,
    f.submitted_at,
    f.submitted_date,
    a.question_id,
    a.question_text,
    a.answer_type,
    case when a.answer_type in ('{{ structured | join("', '") }}') then a.answer_value end as answer_value,
    a.answer_number
from {{ ref('int_feedback_answers_unioned') }} a
join {{ ref('fct_feedback') }} f using (feedback_id)
