-- feat_manager_month has one row per manager_id × month: returns the duplicated keys.
select manager_id, month, count(*) as rows
from {{ ref('feat_manager_month') }}
group by all
having count(*) > 1
