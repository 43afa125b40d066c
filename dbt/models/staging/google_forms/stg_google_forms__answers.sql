-- Google Forms: one row per answered question of every response (checkbox values joined with "; ").
with

source as (

    select * from {{ source('raw', 'google_forms') }}

),

answers as (

    select
        {{ feedback_id('source.source', 'source.account', 'source.source_record_id') }} as feedback_id,
        answer.key as question_id,
        source.payload->'form'->'questions'->answer.key->>'title' as question_text,
        coalesce(source.payload->'form'->'questions'->answer.key->>'kind', 'unknown') as answer_type,
        nullif(array_to_string(array(
            select jsonb_array_elements_text(
                jsonb_path_query_array(answer.value, '$.textAnswers.answers[*].value')
                || jsonb_path_query_array(answer.value, '$.fileUploadAnswers.answers[*].fileName')
            )
        ), '; '), '') as answer_value
    from source
    cross join lateral jsonb_each(
        case when jsonb_typeof(source.payload->'response'->'answers') = 'object'
            then source.payload->'response'->'answers' else '{}'::jsonb end
    ) as answer

)

select
    feedback_id,
    question_id,
    question_text,
    answer_type,
    answer_value,
    case when answer_type in ('scale', 'rating') then {{ safe_numeric('answer_value') }} end as answer_number
from answers
