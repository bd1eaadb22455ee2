{{ config(materialized='incremental', unique_key='contact_id', incremental_strategy=('append' if target.type == 'spark' else 'delete+insert')) }}
select contact_id, manager_id, customer_id, contact_at,
  hour(contact_at) < 8 or hour(contact_at) >= 19 or {{ iso_dow('contact_at') }} >= 6 as off_hours,
  {{ dbt.datediff('contact_at', 'logged_at', 'day') }} as lag_days
from {{ ref('stg_contacts') }}
{% if is_incremental() %} where contact_at > (select max(contact_at) from {{ this }}) {% endif %}
