-- int_feature_values: one row per manager_id × month employed: peer-group keys, book size
-- and every catalogue feature. Counts default to 0; shares stay NULL when undefined
-- (nothing to divide by); features of a missing optional table
-- ($skipped_features) are NULL: unknown, not zero.
-- The *_3m features sum the month and the two before: a drain spread over weeks is small in
-- any one month and plain over three. The months from $since on (the month-incremental pre-hook keeps
-- the earlier ones); the windows read the months before.
with manager_months as (
    select * from {{ ref('int_manager_month') }}
),

joined as (
    select
        mm.manager_id,
        mm.month,
        mm.branch_id,
        mm.tier,
        coalesce(a.book_size, 0) as book_size,
        a.churn_rate,
        a.churned_aum_share,
        a.reassign_loss_rate,
        a.exit_window_churn_rate,
        c.offhours_contact_share,
        c.logging_lag_p90_days,
        coalesce(o.shared_counterparty_customers, 0) as shared_counterparty_customers,
        coalesce(o.exclusive_counterparty_customers, 0) as exclusive_counterparty_customers,
        o.maturity_leakage_rate,
        coalesce(e.phone_edits_by_manager, 0) as phone_edits_by_manager,
        coalesce(e.phone_edits_to_shared_number, 0) as phone_edits_to_shared_number,
        s.unrecorded_sales_share,
        s.late_stage_loss_rate,
        o.elderly_outflow_share,
        coalesce(q.complaints_count, 0) as complaints_count,
        coalesce(a.lost_customers, 0) as lost_customers,
        coalesce(a.lost_aum, 0) as lost_aum,
        coalesce(a.elderly_lost_customers, 0) as elderly_lost_customers,
        coalesce(a.dark_lost_customers, 0) as dark_lost_customers,
        coalesce(a.book_aum, 0) as book_aum,
        coalesce(o.matured_deals, 0) as matured_deals,
        coalesce(o.leaked_deals, 0) as leaked_deals,
        coalesce(o.elderly_leaked_deals, 0) as elderly_leaked_deals,
        coalesce(s.recordable_sales, 0) as recordable_sales,
        coalesce(s.unrecorded_sales, 0) as unrecorded_sales,
        coalesce(ch.chain_customers, 0) as chain_customers,
        coalesce(ch.chain_customers_3m, 0) as chain_customers_3m,
        coalesce(ch.complete_chain_customers_3m, 0) as complete_chain_customers_3m,
        coalesce(ch.chain_amount_3m, 0) as chain_amount_3m,
        coalesce(ch.relative_payee_customers_3m, 0) as relative_payee_customers_3m
    from manager_months mm
    left join {{ ref('feat_attrition') }} a using (manager_id, month)
    left join {{ ref('feat_contacts') }} c using (manager_id, month)
    left join {{ ref('feat_outflows') }} o using (manager_id, month)
    left join {{ ref('feat_edits') }} e using (manager_id, month)
    left join {{ ref('feat_sales') }} s using (manager_id, month)
    left join {{ ref('feat_complaints') }} q using (manager_id, month)
    left join {{ ref('feat_chains') }} ch using (manager_id, month)
),

windowed as (
    select
        *,
        sum(lost_customers) over w / nullif(max(book_size) over w, 0) as churn_rate_3m,
        {{ ratio('sum(lost_aum) over w', 'nullif(max(book_aum) over w, 0)') }} as churned_aum_share_3m,
        sum(leaked_deals) over w / nullif(sum(matured_deals) over w, 0) as maturity_leakage_rate_3m,
        sum(elderly_leaked_deals) over w as elderly_maturity_leaks_3m,
        sum(elderly_lost_customers) over w as elderly_lost_customers_3m,
        sum(dark_lost_customers) over w as dark_lost_customers_3m,
        sum(unrecorded_sales) over w / nullif(sum(recordable_sales) over w, 0) as unrecorded_sales_share_3m,
        sum(phone_edits_to_shared_number) over w6 as phone_edits_to_shared_number_6m
    from joined
    window w as (partition by manager_id order by month
                 range between interval 2 month preceding and current row),
           w6 as (partition by manager_id order by month
                  range between interval 5 month preceding and current row)
),

{%- set features = ['churn_rate', 'churned_aum_share', 'reassign_loss_rate', 'exit_window_churn_rate',
    'offhours_contact_share', 'logging_lag_p90_days', 'shared_counterparty_customers',
    'exclusive_counterparty_customers', 'maturity_leakage_rate', 'phone_edits_by_manager',
    'phone_edits_to_shared_number', 'unrecorded_sales_share', 'late_stage_loss_rate', 'elderly_outflow_share',
    'complaints_count', 'chain_customers', 'chain_customers_3m', 'complete_chain_customers_3m', 'chain_amount_3m',
    'relative_payee_customers_3m', 'churn_rate_3m', 'churned_aum_share_3m', 'maturity_leakage_rate_3m',
    'elderly_maturity_leaks_3m', 'elderly_lost_customers_3m', 'dark_lost_customers_3m', 'unrecorded_sales_share_3m',
    'phone_edits_to_shared_number_6m'] %}
{%- if features | sort != var('feature_names') | sort %}
    {{ exceptions.raise_compiler_error("int_feature_values lists other features than the catalogue ($feature_names)") }}
{%- endif %}
-- the features (a NULL of the column's type for a feature the bundle cannot support)
final as (
    select
        manager_id, month, branch_id, tier, book_size
        {%- for name in features %},
        {% if name in var('skipped_features') %}case when false then {{ name }} end as {{ name }}{% else %}{{ name }}{% endif %}
        {%- endfor %}
    from windowed
    where month >= {{ p('since') }}::date
)

select * from final
