-- int_book_month: one row per manager_id × customer_id × month: the customer was the
-- manager's at month start (open, not yet lost), with the previous month-end AUM; lost: the
-- customer was lost in the month (int_customer_losses), a loss from this book. feat_attrition
-- counts these rows (book size, churn) and the report's lost-customer evidence shows the lost ones.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with spells as (
    select * from {{ source('warehouse', 'stg_assignments') }}
),

months as (
    select * from {{ ref('int_months') }} where month >= {{ p('since') }}::date
),

customers as (
    select c.customer_id, c.opened_at, l.lost_on
    from {{ source('warehouse', 'stg_customers') }} c
    left join {{ ref('int_customer_losses') }} l using (customer_id)
),

owned as (
    select s.manager_id, s.customer_id, mo.month, c.lost_on
    from spells s
    join months mo
      on s.start_date <= mo.month
     and (s.end_date is null or s.end_date > mo.month)
    join customers c
      on c.customer_id = s.customer_id
     and c.opened_at <= mo.month
     and (c.lost_on is null or c.lost_on >= mo.month)
),

final as (
    select
        o.manager_id,
        o.customer_id,
        o.month,
        coalesce(b.aum, 0) as start_aum,
        coalesce(o.lost_on <= last_day(o.month), false) as lost
    from owned o
    left join {{ source('warehouse', 'stg_balances') }} b
      on b.customer_id = o.customer_id
     and b.month = o.month - interval 1 month
)

select * from final
