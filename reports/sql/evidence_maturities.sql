-- evidence_maturities: one row per won term deal of a reported manager that matured in the
-- evidence window: the customer's age at maturity, what they put into new products from a week
-- before to $maturity_window_days days after (a renewal), and what they moved out in those days
-- (leaked = moved out, net of reinvested, at least half the amount: feat_outflows' rule).
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
        coalesce((
            select sum(r.amount) from stg_deals r
            where r.customer_id = m.customer_id and r.deal_id <> m.deal_id and r.status in ('won', 'open')
              and r.created_at::date between m.maturity_date - 7 and m.maturity_date + $maturity_window_days::integer
        ), 0)::double as reinvested,
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
        date_diff('year', cu.birth_date, c.maturity_date)
            - (strftime(c.maturity_date, '%m%d') < strftime(cu.birth_date, '%m%d'))::integer as age,
        c.product_code,
        c.amount::double as amount,
        c.maturity_date,
        c.reinvested,
        c.moved_out,
        c.moved_out - c.reinvested >= 0.5 * c.amount::double as leaked
    from checked c
    left join stg_customers cu using (customer_id)
)

select * from final order by manager_id, leaked desc, maturity_date desc, deal_id
