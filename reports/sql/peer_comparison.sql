-- peer_comparison: one row per reported manager × feature × month of the score window
-- ($first .. $as_of: a reason quotes the month its peer z peaked, the page shows that month
-- beside the audit month): the
-- manager's value, the peer group's median, the manager's percentile within the group
-- (share of peers with a lower value), and the peer and self z-scores; for a share, the
-- events it is computed from (support) and its estimate shrunk toward the peer rate, which
-- the z-scores compare (feat_feature_scores).
with scores as (
    select * from feat_feature_scores where month between $first::date and $as_of::date
),

ranked as (
    select
        *,
        case when value is not null
             then percent_rank() over (partition by month, peer_group_key, feature order by value) end as percentile
    from (
        select *,
               case when peer_group = 'tier' then tier else branch_id || '|' || tier end as peer_group_key
        from scores
    )
),

final as (
    select manager_id, month, feature, value, support, estimate, peer_group, peer_median, percentile, peer_z,
           self_median, self_z
    from ranked
    where manager_id in (select manager_id from report_managers)
)

select * from final order by manager_id, feature, month
