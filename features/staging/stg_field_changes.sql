-- stg_field_changes: one row per edit (customer × field × editor × time × new value),
-- typed; the CRM audit log has no id of its own, so that tuple is the key.
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

final as (
    select * exclude (line)
    from typed
    qualify row_number() over (
        partition by customer_id, field, changed_by, changed_at, new_value
        order by load_id desc, line desc) = 1
)

select * from final
