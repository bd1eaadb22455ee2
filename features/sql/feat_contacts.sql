-- feat_contacts: one row per manager_id × month with logged contacts (int_contact_events):
-- the off-hours share (outside business hours, weekends, public holidays; make-up working
-- days are workdays) and the 90th-percentile logging lag. offhours_contacts is the share's
-- numerator, contacts its denominator (the support).
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with contacts as (
    select * from {{ ref('int_contact_events') }} where month >= {{ p('since') }}::date
),

final as (
    select
        manager_id,
        month,
        count(*) as contacts,
        count(*) filter (where off_hours) as offhours_contacts,
        avg(off_hours::integer) as offhours_contact_share,
        {{ quantile_interpolated('lag_days', 0.9) }} as logging_lag_p90_days
    from contacts
    group by all
)

select * from final
