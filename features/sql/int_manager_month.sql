{{ config(materialized='table') }}
-- int_manager_month: one row per manager_id × month in which the manager was employed.
with managers as (
    select * from {{ source('warehouse', 'stg_managers') }}
),

months as (
    select * from {{ ref('int_months') }}
),

final as (
    select
        m.manager_id,
        mo.month,
        last_day(mo.month) as month_end,
        m.branch_id,
        m.tier,
        m.hire_date,
        m.exit_date
    from managers m
    join months mo
      on m.hire_date <= last_day(mo.month)
     and (m.exit_date is null or m.exit_date >= mo.month)
)

select * from final
