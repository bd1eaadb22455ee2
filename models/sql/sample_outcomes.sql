-- sample_outcomes: one row per stratum of the month's ($month) below-the-line sample: the
-- stratum's size in the population, how many were drawn, and how many of those the analysts
-- decided by now (the decision in force: confirmed or dismissed; a suppression says nothing of
-- whether the manager diverts) and confirmed.
with sampled as (
    select * from sample_cases where month = $month::date
),

in_force as (
    select case_id, disposition from dispositions_in_force
),

final as (
    select
        sampled.stratum,
        any_value(sampled.stratum_size) as size,
        count(*) as sampled,
        count(*) filter (where in_force.disposition in ('confirmed', 'dismissed')) as decided,
        count(*) filter (where in_force.disposition = 'confirmed') as confirmed
    from sampled
    left join in_force using (case_id)
    group by sampled.stratum
)

select * from final order by stratum
