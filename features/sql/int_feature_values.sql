-- int_feature_values: one row per manager_id × month employed: peer-group keys, book size
-- and every catalogue feature. Counts default to 0; shares stay NULL when undefined
-- (nothing to divide by); features of a missing optional table are set NULL by the runner.
with manager_months as (
    select * from int_manager_month
),

final as (
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
        a.dark_churn_share,
        c.logging_lag_p90_days,
        coalesce(o.shared_counterparty_customers, 0) as shared_counterparty_customers,
        o.maturity_leakage_rate,
        coalesce(e.phone_edits_by_manager, 0) as phone_edits_by_manager,
        coalesce(e.phone_edits_to_shared_number, 0) as phone_edits_to_shared_number,
        s.unrecorded_sales_share,
        s.late_stage_loss_rate,
        o.elderly_outflow_share,
        coalesce(q.complaints_count, 0) as complaints_count
    from manager_months mm
    left join feat_attrition a using (manager_id, month)
    left join feat_contacts c using (manager_id, month)
    left join feat_outflows o using (manager_id, month)
    left join feat_edits e using (manager_id, month)
    left join feat_sales s using (manager_id, month)
    left join feat_complaints q using (manager_id, month)
)

select * from final
