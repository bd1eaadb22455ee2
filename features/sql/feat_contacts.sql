-- feat_contacts: one row per manager_id × month with logged contacts: off-hours share
-- (outside $business_start-$business_end, weekends, public holidays; make-up working
-- days count as workdays, from ref_calendar) and the 90th-percentile logging lag.
-- The months from $since on (features/build.py keeps the earlier ones).
with contacts as (
    select * from {{ source('warehouse', 'stg_contacts') }} where contact_at >= {{ p('since') }}::date
),

calendar as (
    select * from {{ source('warehouse', 'ref_calendar') }}
),

classified as (
    select
        k.manager_id,
        date_trunc('month', k.contact_at)::date as month,
        {{ off_hours('k.contact_at', 'cal.is_workday', p('business_start'), p('business_end')) }} as off_hours,
        greatest({{ seconds_between('k.contact_at', 'k.logged_at') }}, 0) / 86400.0 as lag_days
    from contacts k
    left join calendar cal on cal.day = k.contact_at::date
),

final as (
    select
        manager_id,
        month,
        count(*) as contacts,
        avg(off_hours::integer) as offhours_contact_share,
        {{ quantile_interpolated('lag_days', 0.9) }} as logging_lag_p90_days
    from classified
    group by all
)

select * from final
