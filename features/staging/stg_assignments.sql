-- stg_assignments: one row per customer_id × manager_id × start_date (an ownership
-- spell), typed; the newest load wins, so a later export can close an open spell.
with source as (
    select * from raw_assignments where row_status = 'loaded'
),

typed as (
    select
        trim(customer_id)       as customer_id,
        trim(manager_id)        as manager_id,
        parse_date(start_date)  as start_date,
        parse_date(end_date)    as end_date,
        clean_text(reason)      as reason,
        load_id,
        line
    from source
),

final as (
    select * exclude (line)
    from typed
    qualify row_number() over (
        partition by customer_id, manager_id, start_date order by load_id desc, line desc) = 1
)

select * from final
