-- evidence_contacts: one row per logged contact of a reported manager in the evidence window
-- that was off hours (outside $business_start-$business_end, weekend or public holiday; make-up
-- working days are workdays) or logged $lag_days_min or more days after it happened. The
-- caller shows the most recent ones; counts cover them all.
with managers as (
    select * from report_managers
),

contacts as (
    select k.*
    from stg_contacts k
    where k.manager_id in (select manager_id from managers)
      and k.contact_at::date between $window_start::date and $window_end::date
),

classified as (
    select
        k.*,
        not coalesce(cal.is_workday, dayofweek(k.contact_at) between 1 and 5)
            or k.contact_at::time < $business_start::time
            or k.contact_at::time >= $business_end::time as off_hours,
        not coalesce(cal.is_workday, dayofweek(k.contact_at) between 1 and 5) as non_workday,
        greatest(epoch(k.logged_at - k.contact_at), 0) / 86400.0 as lag_days
    from contacts k
    left join ref_calendar cal on cal.day = k.contact_at::date
),

final as (
    select
        c.manager_id,
        c.contact_id,
        c.customer_id,
        cu.customer_name,
        c.contact_at,
        c.logged_at,
        round(c.lag_days, 1) as lag_days,
        c.channel,
        c.off_hours,
        c.lag_days >= $lag_days_min as late,
        c.non_workday,
        c.note
    from classified c
    left join stg_customers cu using (customer_id)
    where c.off_hours or c.lag_days >= $lag_days_min
)

select * from final order by manager_id, contact_at desc, contact_id
