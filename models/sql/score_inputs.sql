-- score_inputs: one row per manager_id × feature for the audit month ($as_of): the highest
-- peer z and self z over the trailing $score_window_months months (diversion unfolds over
-- weeks and exports arrive late; a manager who left last month is still scored), the peer z
-- of the audit month itself, and the value and peer median of the month the peer z peaked
-- (the evidence a reason code quotes; equal peaks go to the later month, so the pick does not
-- depend on the order parallel threads meet the rows).
with window_rows as (
    select *
    from feat_feature_scores
    where month > $as_of::date - to_months($score_window_months::integer)
      and month <= $as_of::date
),

peaks as (
    select
        manager_id,
        feature,
        max(peer_z) as peer_z_max,
        max(self_z) as self_z_max,
        max(peer_z) filter (where month = $as_of::date) as peer_z_now,
        arg_max(value, (coalesce(peer_z, -1e9), month)) as value,
        arg_max(peer_median, (coalesce(peer_z, -1e9), month)) as peer_median,
        arg_max(peer_group, (coalesce(peer_z, -1e9), month)) as peer_group,
        arg_max(month, (coalesce(peer_z, -1e9), month)) as peak_month
    from window_rows
    group by all
),

managers as (
    select
        manager_id,
        arg_max(branch_id, month) as branch_id,
        arg_max(tier, month) as tier,
        max(month) as last_month
    from window_rows
    group by all
),

final as (
    select p.*, m.branch_id, m.tier, m.last_month
    from peaks p
    join managers m using (manager_id)
)

select * from final
