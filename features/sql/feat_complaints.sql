-- feat_complaints: one row per manager_id × month with complaints naming the manager.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with complaints as (
    select * from {{ source('warehouse', 'stg_complaints') }} where manager_id is not null and received_at >= {{ p('since') }}::date
),

final as (
    select
        manager_id,
        date_trunc('month', received_at)::date as month,
        count(*) as complaints_count
    from complaints
    group by all
)

select * from final
