-- Share features ($share_features, from the catalogue) lie in [0, 1]: returns the offenders.
select manager_id, month, feature, value
from {{ ref('feat_feature_scores') }}
where feature in (select unnest({{ p('share_features') }}::varchar[]))
  and value not between 0 and 1
