-- feat_complaints: one row per manager_id × month with complaints naming the manager.
with complaints as (
    select * from stg_complaints where manager_id is not null
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
