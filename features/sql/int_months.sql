{{ config(materialized='table') }}
-- int_months: one row per calendar month, from the first month with data to the audit month ($as_of).
with balance_bounds as (
    select min(month) as first_month from {{ source('warehouse', 'stg_balances') }}
),

contact_bounds as (
    select date_trunc('month', min(contact_at))::date as first_month from {{ source('warehouse', 'stg_contacts') }}
),

bounds as (
    select
        least(coalesce(b.first_month, c.first_month), coalesce(c.first_month, b.first_month)) as first_month,
        {{ p('as_of') }}::date as last_month
    from balance_bounds b cross join contact_bounds c
),

final as (
    select {{ month_series('first_month', 'last_month') }} as month
    from bounds
    where first_month is not null and first_month <= last_month
)

select * from final
