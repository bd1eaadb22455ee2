-- No feature is negative (counts, shares and days alike): returns the offending values.
select manager_id, month, feature, value
from {{ ref('feat_feature_scores') }}
where value < 0
