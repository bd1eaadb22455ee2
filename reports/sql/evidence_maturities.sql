-- evidence_maturities: one row per won term deal of a reported manager that matured in the
-- evidence window, as feat_outflows counted it (int_matured_deals): the customer's age, what
-- they reinvested around the maturity, what they moved out, and whether it leaked.
with managers as (
    select * from report_managers
),

matured as (
    select *
    from int_matured_deals
    where maturity_date between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

final as (
    select
        m.manager_id,
        m.deal_id,
        m.customer_id,
        c.customer_name,
        m.age,
        m.product_code,
        m.amount::double as amount,
        m.maturity_date,
        m.reinvested::double as reinvested,
        m.moved_out::double as moved_out,
        m.leaked
    from matured m
    left join stg_customers c using (customer_id)
)

select * from final order by manager_id, leaked desc, maturity_date desc, deal_id
