-- sample_population: one row per manager below the alert line in the audit month ($as_of):
-- scored that month, not one of the month's cases (of any kind: whatever case_months holds)
-- and not under a suppression in force (the same rule that keeps a manager out of the cases).
-- In rank order, best first: the draw's strata are cut from this order.
with scored as (
    select manager_id, rank, risk_score from scores where month = $as_of::date
),

cases_this_month as (
    select manager_id from case_months where month = $as_of::date
),

suppressed as (
    select distinct manager_id
    from dispositions_in_force
    where disposition = 'suppressed' and $as_of::date <= until
),

final as (
    select scored.*
    from scored
    anti join cases_this_month using (manager_id)
    anti join suppressed using (manager_id)
)

select * from final order by rank, manager_id
