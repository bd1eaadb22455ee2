-- int_matured_deals: one row per won term product that matured in a month from $since to the
-- audit month: the customer's age at maturity (elderly: $elderly_age or more), what they put
-- into new products from a week before to $maturity_window_days days after (a renewal) and
-- what they moved out in those days. Leaked: moved out, net of reinvested, at least half the matured amount — net, not
-- "no renewal at all", because a token renewal while most of the money leaves is still
-- leakage. feat_outflows counts these rows and the report's maturity evidence shows them,
-- so both use the one definition.
with deals as (
    select * from {{ source('warehouse', 'stg_deals') }}
),

customers as (
    select * from {{ source('warehouse', 'stg_customers') }}
),

matured as (
    select d.deal_id, d.customer_id, d.manager_id, d.product_code, d.amount, d.maturity_date,
           c.birth_date
    from deals d
    left join customers c using (customer_id)
    where d.status = 'won' and d.maturity_date is not null
      and d.maturity_date <= last_day({{ p('as_of') }}::date) and d.maturity_date >= {{ p('since') }}::date
),

with_money as (
    select
        m.*,
        coalesce((
            select sum(r.amount) from {{ source('warehouse', 'stg_deals') }} r
            where r.customer_id = m.customer_id and r.deal_id <> m.deal_id and r.status in ('won', 'open')
              and r.created_at::date between m.maturity_date - 7
                                         and m.maturity_date + {{ p('maturity_window_days') }}::integer
        ), 0) as reinvested,
        coalesce((
            select sum(t.amount) from {{ source('warehouse', 'stg_transfers') }} t
            where t.customer_id = m.customer_id and t.direction = 'out'
              and t.transfer_at::date between m.maturity_date
                                          and m.maturity_date + {{ p('maturity_window_days') }}::integer
        ), 0) as moved_out
    from matured m
),

final as (
    select
        manager_id,
        date_trunc('month', maturity_date)::date as month,
        deal_id,
        customer_id,
        product_code,
        amount,
        maturity_date,
        {{ age_on('birth_date', 'maturity_date') }} as age,
        {{ age_on('birth_date', 'maturity_date') }} >= {{ p('elderly_age') }}::integer as elderly,
        reinvested,
        moved_out,
        moved_out - reinvested >= 0.5 * amount as leaked
    from with_money
)

select * from final
