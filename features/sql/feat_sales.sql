-- feat_sales: one row per manager_id × month with closed deals (int_sales): won
-- wealth/insurance/fund sales without a recording id (双录) among the recordable ones, and deals
-- lost or cancelled after reaching the proposal or negotiation stage among the closed ones.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with sales as (
    select * from {{ ref('int_sales') }} where month >= {{ p('since') }}::date
),

final as (
    select
        manager_id,
        month,
        count(*) filter (where recordable) as recordable_sales,
        count(*) filter (where unrecorded) as unrecorded_sales,
        count(*) filter (where unrecorded) / nullif(count(*) filter (where recordable), 0)
            as unrecorded_sales_share,
        count(*) filter (where late_stage_loss) / count(*) as late_stage_loss_rate,
        count(*) filter (where late_stage_loss) as late_stage_losses,
        count(*) as closed_deals
    from sales
    group by all
)

select * from final
