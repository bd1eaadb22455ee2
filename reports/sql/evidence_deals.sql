-- evidence_deals: the deals feat_sales counts, for the reported managers and the months of the
-- evidence window: one row per closed deal of int_sales that is an unrecorded sale (kind
-- 'unrecorded') or a late-stage loss (kind 'late_loss').
with managers as (
    select * from report_managers
),

deals as (
    select *
    from int_sales
    where (unrecorded or late_stage_loss)
      and month between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

final as (
    select
        case when d.unrecorded then 'unrecorded' else 'late_loss' end as kind,
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
)

select * from final order by kind, manager_id, deal_date desc, deal_id
