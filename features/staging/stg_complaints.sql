-- stg_complaints: one row per complaint_id; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_complaints where row_status = 'loaded'
),

typed as (
    select
        trim(complaint_id)           as complaint_id,
        trim(customer_id)            as customer_id,
        clean_text(manager_id)       as manager_id,
        parse_timestamp(received_at) as received_at,
        clean_text(category)         as category,
        text,                        -- free text, kept exactly as written
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing; a group-by finds them without
-- sorting the whole table. Keys match null-safely (an empty new_value is a value).
repeated_keys as (
    select complaint_id from typed group by all having count(*) > 1
),

newest_of_repeated as (
    select *
    from typed semi join repeated_keys r on typed.complaint_id is not distinct from r.complaint_id
    qualify row_number() over (partition by complaint_id order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line) from typed anti join repeated_keys r on typed.complaint_id is not distinct from r.complaint_id
    union all
    select * exclude (line) from newest_of_repeated
)

select * from final
