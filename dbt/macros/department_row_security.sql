{#-
  Row-level security by department on a mart table that has a `department` column (a post-hook on
  every mart; fct_feedback and the closed-loop marts have one; others are left alone). A login that is a member of no department role
  (`cfm_dept_<department>`, made by `cfm analyst add NAME --department D`) sees every row; a
  department manager's login sees only the rows of the departments it belongs to. The table's
  owner (the transformer) and superusers are not subject to it. var department_row_security: false
  turns it off. The role name rule matches cfm.warehouse.analysts.department_role.
-#}
{% macro department_row_security() -%}
  {{ return(adapter.dispatch('department_row_security', 'cfm')()) }}
{%- endmacro %}

{% macro default__department_row_security() -%}
{%- endmacro %}

{% macro postgres__department_row_security() -%}
  {%- if execute and var('department_row_security', true) and model.resource_type == 'model'
        and model.config.materialized in ('table', 'incremental') -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if 'department' in columns -%}
      alter table {{ this }} enable row level security;
      drop policy if exists department_scope on {{ this }};
      create policy department_scope on {{ this }} for select using (
        not exists (
          select 1 from pg_roles r
          where r.rolname like 'cfm\_dept\_%' and pg_has_role(current_user, r.oid, 'member')
        )
        or exists (
          select 1 from pg_roles r
          where r.rolname = left('cfm_dept_' || lower(regexp_replace(department, '[^A-Za-z0-9]+', '_', 'g')), 63)
            and pg_has_role(current_user, r.oid, 'member')
        )
      )
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}
