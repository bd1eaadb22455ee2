-- stg_managers: one row per manager_id, typed; the newest load wins for a repeated key.
with source as (
    select * from raw_managers where row_status = 'loaded'
),

newest as (
    select *
    from source
    qualify row_number() over (partition by trim(manager_id) order by load_id desc, line desc) = 1
),

final as (
    select
        trim(manager_id)          as manager_id,
        clean_text(manager_name)  as manager_name,
        trim(branch_id)           as branch_id,
        parse_tier(tier)          as tier,
        parse_date(hire_date)     as hire_date,
        parse_date(exit_date)     as exit_date,
        clean_text(phone)         as phone,
        load_id
    from newest
)

select * from final
