-- A manager's book cannot exceed the bank's customers: returns impossible book sizes.
select manager_id, month, book_size
from {{ ref('feat_manager_month') }}
where book_size > (select count(*) from {{ source('warehouse', 'stg_customers') }})
