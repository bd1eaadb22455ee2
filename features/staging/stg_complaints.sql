-- stg_complaints: one row per complaint_id, typed; the newest load wins for a repeated key.
with source as (
    select * from raw_complaints where row_status = 'loaded'
),

newest as (
    select *
    from source
    qualify row_number() over (partition by trim(complaint_id) order by load_id desc, line desc) = 1
),

final as (
    select
        trim(complaint_id)           as complaint_id,
        trim(customer_id)            as customer_id,
        clean_text(manager_id)       as manager_id,
        parse_timestamp(received_at) as received_at,
        clean_text(category)         as category,
        text,                        -- free text, kept exactly as written
        load_id
    from newest
)

select * from final
