-- branch_overview: one row per branch for the audit month ($as_of): managers scored, cases,
-- mean and highest risk score.
with scored as (
    select * from scores where month = $as_of::date
),

final as (
    select
        branch_id,
        count(*) as managers,
        count(*) filter (where flagged) as cases,
        round(avg(risk_score), 6) as mean_risk,  -- rounded: a parallel avg differs in the last bits
        max(risk_score) as max_risk
    from scored
    group by branch_id
)

select * from final order by cases desc, mean_risk desc, branch_id
