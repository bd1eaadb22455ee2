-- evidence_maturities: one row per won term deal of a reported manager that matured in the
-- evidence window: renewed or not, and how much the customer moved out within
-- $maturity_window_days days (leaked = not renewed and at least half the amount moved out).
with managers as (
    select * from report_managers
),

matured as (
    select d.*
    from stg_deals d
    where d.status = 'won' and d.maturity_date between $window_start::date and $window_end::date
      and d.manager_id in (select manager_id from managers)
),

checked as (
    select
        m.*,
        exists (
            select 1 from stg_deals r
            where r.customer_id = m.customer_id and r.deal_id <> m.deal_id and r.status in ('won', 'open')
              and r.created_at::date between m.maturity_date - 7 and m.maturity_date + $maturity_window_days::integer
        ) as renewed,
        coalesce((
            select sum(t.amount) from stg_transfers t
            where t.customer_id = m.customer_id and t.direction = 'out'
              and t.transfer_at::date between m.maturity_date and m.maturity_date + $maturity_window_days::integer
        ), 0)::double as moved_out
    from matured m
),

final as (
    select
        c.manager_id,
        c.deal_id,
        c.customer_id,
        cu.customer_name,
        c.product_code,
        c.amount::double as amount,
        c.maturity_date,
        c.renewed,
        c.moved_out,
        not c.renewed and c.moved_out >= 0.5 * c.amount as leaked
    from checked c
    left join stg_customers cu using (customer_id)
)

select * from final order by manager_id, leaked desc, maturity_date desc, deal_id
