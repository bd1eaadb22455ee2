-- case_months for one audit month ($as_of): one row per flagged manager. The alert budget K
-- is the number of managers scoring flagged; managers under a suppression in force are
-- skipped and, under a budget ($refill), K is refilled from the next ranks; under a minimum
-- risk score nobody below it is picked (a threshold means "at least this suspicious"). A
-- manager flagged in the previous audit
-- month keeps that case id (ongoing); otherwise a new case starts, its id built from the
-- month and the manager, so reruns give the same ids.
with scored as (
    select * from scores where month = $as_of::date
),

budget as (
    select count(*) filter (where flagged) as k from scored
),

in_force as (
    select * from dispositions_in_force
),

suppressions as (
    select manager_id, max(until) as suppressed_until
    from in_force
    where disposition = 'suppressed' and $as_of::date <= until
    group by manager_id
),

eligible as (
    select scored.manager_id, scored.rank, scored.risk_score, scored.flagged
    from scored
    left join suppressions using (manager_id)
    where suppressions.manager_id is null
),

picked as (
    select * exclude (flagged)
    from eligible
    where $refill::boolean or flagged
    qualify row_number() over (order by rank) <= (select k from budget)
),

previous as (
    select manager_id, case_id
    from case_months
    where month = $as_of::date - interval 1 month
),

final as (
    select
        $as_of::date as month,
        coalesce(previous.case_id,
                 'FD-' || strftime($as_of::date, '%Y%m') || '-' || picked.manager_id) as case_id,
        picked.manager_id,
        picked.rank,
        picked.risk_score,
        case when previous.case_id is null then 'new' else 'ongoing' end as status
    from picked
    left join previous using (manager_id)
)

select * from final order by rank
