-- int_contact_events: one row per logged contact, in the month of contact_at, with the flags
-- that define contact kept off the system (DESIGN.md family 4):
--   off_hours: outside $business_start-$business_end, on a weekend or a public holiday
--     (make-up working days count as workdays, from ref_calendar);
--   non_workday: on a weekend or public holiday (the part of off_hours that is the day);
--   lag_days: days between the contact and its entry in the CRM (never negative);
--   late_logged: entered $late_log_days or more days after it happened.
-- feat_contacts aggregates these rows (off-hours share, logging lag p90), int_customer_chains
-- reads their flags (an off-hours or late-logged contact before a money event) and the report's
-- contact evidence filters them: one definition of each flag. Narrow (a contact's other
-- columns are in stg_contacts, by contact_id): at 60,000 managers it is ~100 million rows.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with contacts as (
    select * from {{ source('warehouse', 'stg_contacts') }} where contact_at >= {{ p('since') }}::date
),

calendar as (
    select * from {{ source('warehouse', 'ref_calendar') }}
),

dated as (
    select
        k.*,
        -- is_workday is NULL outside ref_calendar's years: Monday-Friday then
        not coalesce(cal.is_workday, {{ monday_to_friday('k.contact_at') }}) as non_workday
    from contacts k
    left join calendar cal on cal.day = k.contact_at::date
),

final as (
    select
        manager_id,
        date_trunc('month', contact_at)::date as month,
        contact_id,
        customer_id,
        contact_at,
        non_workday or {{ outside_business_hours('contact_at', p('business_start'), p('business_end')) }} as off_hours,
        non_workday,
        greatest({{ seconds_between('contact_at', 'logged_at') }}, 0) / 86400.0 as lag_days,
        logged_at >= contact_at + {{ days_interval(p('late_log_days') ~ '::integer') }} as late_logged
    from dated
)

select * from final
