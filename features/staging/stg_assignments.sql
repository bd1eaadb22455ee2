-- stg_assignments: one row per customer_id × manager_id × start_date (an ownership spell);
-- a later export can close an open spell; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
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

-- Only keys given more than once need choosing; a group-by finds them without
-- sorting the whole table. Keys match null-safely (an empty new_value is a value).
repeated_keys as (
    select customer_id, manager_id, start_date from typed group by all having count(*) > 1
),

newest_of_repeated as (
    select *
    from typed semi join repeated_keys r on typed.customer_id is not distinct from r.customer_id
       and typed.manager_id is not distinct from r.manager_id
       and typed.start_date is not distinct from r.start_date
    qualify row_number() over (partition by customer_id, manager_id, start_date order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line) from typed anti join repeated_keys r on typed.customer_id is not distinct from r.customer_id
       and typed.manager_id is not distinct from r.manager_id
       and typed.start_date is not distinct from r.start_date
    union all
    select * exclude (line) from newest_of_repeated
)

select * from final
