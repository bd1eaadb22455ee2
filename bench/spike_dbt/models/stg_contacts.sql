{% set spark_view %}create or replace temporary view contacts_csv using csv options (header 'true', multiLine 'true', escape '"', path '{{ var("contacts_csv") }}'){% endset %}
{{ config(materialized='table', pre_hook=(spark_view if target.type == 'spark' else "")) }}
select contact_id, manager_id, customer_id, cast(contact_at as timestamp) as contact_at,
       cast(logged_at as timestamp) as logged_at
from {{ read_contacts() }}
