-- evidence_deals: one row per deal of a reported manager in the evidence window that is a
-- won wealth/insurance/fund sale without a recording id (kind 'unrecorded') or a deal lost
-- or cancelled after reaching proposal or negotiation (kind 'late_loss').
with managers as (
    select * from report_managers
),

deals as (
    select d.*, coalesce(d.closed_at, d.created_at)::date as deal_date
    from stg_deals d
    where d.manager_id in (select manager_id from managers)
      and coalesce(d.closed_at, d.created_at)::date between $window_start::date and $window_end::date
),

final as (
    select
        case when d.status = 'won' then 'unrecorded' else 'late_loss' end as kind,
        d.manager_id,
        d.deal_id,
        d.customer_id,
        c.customer_name,
        d.product_type,
        d.product_code,
        d.amount::double as amount,
        d.deal_date,
        d.stage,
        d.lost_reason
    from deals d
    left join stg_customers c using (customer_id)
    where (d.status = 'won' and d.product_type in ('wealth', 'insurance', 'fund') and d.recording_id is null)
       or (d.status in ('lost', 'cancelled') and d.stage in ('proposal', 'negotiation'))
)

select * from final order by kind, manager_id, deal_date desc, deal_id
