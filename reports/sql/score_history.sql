-- score_history: one row per reported manager × scored month up to the audit month ($as_of).
select manager_id, month, risk_score, rank, flagged
from scores
where manager_id in (select manager_id from report_managers) and month <= $as_of::date
order by manager_id, month
