-- evidence_contacts: the rows of int_contact_events behind the contact features, for the
-- reported managers and the months of the evidence window: one row per logged contact that
-- was off hours (off_hours: the off-hours share's numerator) or late (late: logged at least as
-- late as the month's 90th-percentile lag, feat_contacts' logging_lag_p90_days — the slowest
-- tenth that sets it; a contact logged at once is never late). The caller shows the most
-- recent ones; counts cover them all.
with managers as (
    select * from report_managers
),

contacts as (
    select *
    from int_contact_events
    where month between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

lag_p90 as (
    select manager_id, month, logging_lag_p90_days
    from feat_contacts
    where month between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

flagged as (
    select
        c.*,
        c.lag_days > 0 and c.lag_days >= p.logging_lag_p90_days as late
    from contacts c
    join lag_p90 p using (manager_id, month)
),

final as (
    select
        c.manager_id,
        c.contact_id,
        c.customer_id,
        cu.customer_name,
        c.contact_at,
        k.logged_at,
        round(c.lag_days, 1) as lag_days,
        k.channel,
        c.off_hours,
        c.late,
        c.non_workday,
        k.note
    from flagged c
    left join stg_contacts k using (contact_id)
    left join stg_customers cu on cu.customer_id = c.customer_id
    where c.off_hours or c.late
)

select * from final order by manager_id, contact_at desc, contact_id
