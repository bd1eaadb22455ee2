-- stg_managers: one row per manager_id; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_managers where row_status = 'loaded'
),

typed as (
    select
        trim(manager_id)          as manager_id,
        clean_text(manager_name)  as manager_name,
        trim(branch_id)           as branch_id,
        parse_tier(tier)          as tier,
        parse_date(hire_date)     as hire_date,
        parse_date(exit_date)     as exit_date,
        clean_text(phone)         as phone,
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing; a group-by finds them without
-- sorting the whole table. Keys match null-safely (an empty new_value is a value).
repeated_keys as (
    select manager_id from typed group by all having count(*) > 1
),

newest_of_repeated as (
    select *
    from typed semi join repeated_keys r on typed.manager_id is not distinct from r.manager_id
    qualify row_number() over (partition by manager_id order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line) from typed anti join repeated_keys r on typed.manager_id is not distinct from r.manager_id
    union all
    select * exclude (line) from newest_of_repeated
)

select * from final
