-- A manager's book cannot exceed the bank's customers: returns impossible book sizes.
select manager_id, month, book_size
from feat_manager_month
where book_size > (select count(*) from stg_customers)
