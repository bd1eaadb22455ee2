-- suppressed_managers: one row per manager under a suppression in force for the audit month
-- ($as_of), with this month's score and the suppression's expiry (shown in the report).
with in_force as (
    select * from dispositions_in_force
),

suppressions as (
    select
        manager_id,
        arg_max(case_id, (until, case_id)) as case_id,
        max(until) as suppressed_until,
        arg_max(analyst, (until, case_id)) as analyst,
        arg_max(comment, (until, case_id)) as comment
    from in_force
    where disposition = 'suppressed' and $as_of::date <= until
    group by manager_id
),

final as (
    select
        suppressions.*,
        scores.rank,
        scores.risk_score,
        scores.branch_id,
        scores.tier
    from suppressions
    left join scores on scores.manager_id = suppressions.manager_id and scores.month = $as_of::date
)

select * from final order by rank nulls last, manager_id
