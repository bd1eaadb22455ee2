{{ config(materialized='table') }}
select manager_id, cast(date_trunc('month', contact_at) as date) as month,
  avg(case when off_hours then 1.0 else 0.0 end) as offhours_contact_share, {{ p90('lag_days') }} as logging_lag_p90_days
from {{ ref('int_contact_events') }} group by 1, 2
