-- int_sales: one row per closed deal (won, lost or cancelled), in the month it closed (closed_at,
-- else created_at), with the flags of sales conduct (DESIGN.md family 6):
--   recordable: a won wealth, insurance or fund sale, which needs a sales recording (双录);
--   unrecorded: a recordable sale without a recording id;
--   late_stage_loss: lost or cancelled after reaching the proposal or negotiation stage.
-- feat_sales aggregates these rows and the report's deal evidence filters them.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with deals as (
    select *
    from {{ source('warehouse', 'stg_deals') }}
    where status in ('won', 'lost', 'cancelled')
      and coalesce(closed_at, created_at) >= {{ p('since') }}::date
),

flagged as (
    select
        *,
        status = 'won' and product_type in ('wealth', 'insurance', 'fund') as recordable,
        status in ('lost', 'cancelled') and stage in ('proposal', 'negotiation') as late_stage_loss
    from deals
),

final as (
    select
        manager_id,
        date_trunc('month', coalesce(closed_at, created_at))::date as month,
        deal_id,
        customer_id,
        product_type,
        product_code,
        amount,
        coalesce(closed_at, created_at)::date as deal_date,
        status,
        stage,
        lost_reason,
        coalesce(recordable, false) as recordable,
        coalesce(recordable and recording_id is null, false) as unrecorded,
        coalesce(late_stage_loss, false) as late_stage_loss
    from flagged
)

select * from final
