-- feat_sales: one row per manager_id × month with closed deals: won wealth/insurance/fund
-- sales without a recording id (双录), and deals lost or cancelled after reaching
-- the proposal or negotiation stage. The months from $since on (the month-incremental pre-hook keeps
-- the earlier ones).
with deals as (
    select
        *,
        date_trunc('month', coalesce(closed_at, created_at))::date as month
    from {{ source('warehouse', 'stg_deals') }}
    where status in ('won', 'lost', 'cancelled')
      and coalesce(closed_at, created_at) >= {{ p('since') }}::date
),

final as (
    select
        manager_id,
        month,
        count(*) filter (where status = 'won' and product_type in ('wealth', 'insurance', 'fund'))
            as recordable_sales,
        count(*) filter (where status = 'won' and product_type in ('wealth', 'insurance', 'fund')
                           and recording_id is null) as unrecorded_sales,
        count(*) filter (where status = 'won' and product_type in ('wealth', 'insurance', 'fund')
                           and recording_id is null)
            / nullif(count(*) filter (where status = 'won'
                                        and product_type in ('wealth', 'insurance', 'fund')), 0)
            as unrecorded_sales_share,
        count(*) filter (where status in ('lost', 'cancelled') and stage in ('proposal', 'negotiation'))
            / count(*) as late_stage_loss_rate,
        count(*) as closed_deals
    from deals
    group by all
)

select * from final
