-- int_feature_support: one row per manager_id × month × share feature: how many events the
-- share is computed from. A share from a handful of events says little (one sale without a
-- recording out of one sale is "100%"), so feat_feature_scores gives no z-score below
-- min_support events (settings). The support of a share is its denominator: sales, closed
-- deals, matured deals, lost customers, logged contacts, outflows, customers in the book
-- (a book emptied by a branch consolidation leaves shares of one or two events, measured:
-- such decoys in the alert budget at 20,000 managers 9 → 7). The lost-AUM shares count the
-- lost customers, not the book: one wealthy customer leaving is one event, however large (at
-- 2,000 managers most innocent managers above the planted ones had lost one or two big
-- customers). Counts always count.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with sales as (
    select * from {{ ref('feat_sales') }}
),

outflows as (
    select * from {{ ref('feat_outflows') }}
),

attrition as (
    select * from {{ ref('feat_attrition') }}
),

contacts as (
    select * from {{ ref('feat_contacts') }}
),

-- the *_3m shares add their events over the month and the two before, like the shares
sales_3m as (
    select
        manager_id,
        month,
        sum(recordable_sales) over w as recordable_sales_3m
    from sales
    window w as (partition by manager_id order by month range between interval 2 month preceding and current row)
),

attrition_3m as (
    select
        manager_id,
        month,
        sum(lost_customers) over w as lost_customers_3m
    from attrition
    window w as (partition by manager_id order by month range between interval 2 month preceding and current row)
),

outflows_3m as (
    select
        manager_id,
        month,
        sum(matured_deals) over w as matured_deals_3m
    from outflows
    window w as (partition by manager_id order by month range between interval 2 month preceding and current row)
),

final as (
    select manager_id, month, 'unrecorded_sales_share' as feature, recordable_sales as support from sales
    union all
    select manager_id, month, 'late_stage_loss_rate', closed_deals from sales
    union all
    select manager_id, month, 'unrecorded_sales_share_3m', recordable_sales_3m from sales_3m
    union all
    select manager_id, month, 'maturity_leakage_rate', matured_deals from outflows
    union all
    select manager_id, month, 'maturity_leakage_rate_3m', matured_deals_3m from outflows_3m
    union all
    select manager_id, month, 'offhours_contact_share', contacts from contacts
    union all
    select manager_id, month, 'elderly_outflow_share', outflows from outflows
    union all
    select manager_id, month, 'churn_rate', book_size from attrition
    union all
    select manager_id, month, 'churned_aum_share', lost_customers from attrition
    union all
    select manager_id, month, 'churned_aum_share_3m', lost_customers_3m from attrition_3m
)

select * from final where month >= {{ p('since') }}::date
