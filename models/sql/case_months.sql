-- case_months for one audit month ($as_of): one row per flagged manager. The alert budget K
-- is the number of managers scoring flagged; managers under a suppression in force are
-- skipped and, under a budget ($refill), K is refilled from the next ranks; under a minimum
-- risk score nobody below it is picked (a threshold means "at least this suspicious").
-- $explore of the K places (kind 'explore') go to the managers below the line that either
-- model alone ranks highest (scores.explore_priority: the detector and the learned model
-- disagree there) and that no analyst has confirmed or dismissed: their decisions teach the
-- learned model what it does not know yet. A manager flagged in the previous audit
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

decided as (
    select distinct manager_id
    from in_force
    where disposition in ('confirmed', 'dismissed')
),

eligible as (
    select scored.manager_id, scored.rank, scored.risk_score, scored.flagged, scored.explore_priority
    from scored
    left join suppressions using (manager_id)
    where suppressions.manager_id is null
),

exploited as (
    select manager_id, rank, risk_score, 'alert' as kind
    from eligible
    where $refill::boolean or flagged
    qualify row_number() over (order by rank) <= (select k from budget) - $explore::integer
),

explored as (
    select manager_id, rank, risk_score, 'explore' as kind
    from eligible
    where explore_priority is not null
      and manager_id not in (select manager_id from exploited)
      and manager_id not in (select manager_id from decided)
    qualify row_number() over (order by explore_priority desc, rank) <= $explore::integer
),

topped_up as (
    -- fewer managers to explore than places: the places go back to the next ranks
    select manager_id, rank, risk_score, 'alert' as kind
    from eligible
    where ($refill::boolean or flagged)
      and manager_id not in (select manager_id from exploited)
      and manager_id not in (select manager_id from explored)
    qualify row_number() over (order by rank)
        <= $explore::integer - (select count(*) from explored)
),

picked as (
    select * from exploited
    union all
    select * from explored
    union all
    select * from topped_up
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
        case when previous.case_id is null then 'new' else 'ongoing' end as status,
        picked.kind
    from picked
    left join previous using (manager_id)
)

select * from final order by rank
