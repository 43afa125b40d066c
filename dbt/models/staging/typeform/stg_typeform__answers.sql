-- typeform: one row per answer of a response (the connector's mapping.answers, in answer order).
{{ answers_from_mapping('typeform') }}
