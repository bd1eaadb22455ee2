-- stg_field_changes: one row per edit (customer × field × editor × time × new value);
-- the CRM audit log has no id of its own, so that tuple is the key; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_field_changes where row_status = 'loaded'
),

typed as (
    select
        trim(customer_id)            as customer_id,
        parse_field(field)           as field,
        clean_text(old_value)        as old_value,
        clean_text(new_value)        as new_value,
        trim(changed_by)             as changed_by,
        parse_timestamp(changed_at)  as changed_at,
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing; a group-by finds them without
-- sorting the whole table. Keys match null-safely (an empty new_value is a value).
repeated_keys as (
    select customer_id, field, changed_by, changed_at, new_value from typed group by all having count(*) > 1
),

newest_of_repeated as (
    select *
    from typed semi join repeated_keys r on typed.customer_id is not distinct from r.customer_id
       and typed.field is not distinct from r.field
       and typed.changed_by is not distinct from r.changed_by
       and typed.changed_at is not distinct from r.changed_at
       and typed.new_value is not distinct from r.new_value
    qualify row_number() over (partition by customer_id, field, changed_by, changed_at, new_value order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line) from typed anti join repeated_keys r on typed.customer_id is not distinct from r.customer_id
       and typed.field is not distinct from r.field
       and typed.changed_by is not distinct from r.changed_by
       and typed.changed_at is not distinct from r.changed_at
       and typed.new_value is not distinct from r.new_value
    union all
    select * exclude (line) from newest_of_repeated
)

select * from final
