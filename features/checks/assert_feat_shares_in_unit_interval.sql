-- Share features ($share_features, from the catalogue) lie in [0, 1]: returns the offenders.
select manager_id, month, feature, value
from {{ ref('feat_feature_scores') }}
where feature in ({% for name in var('share_features') %}{{ sql_literal(name) }}{{ ', ' if not loop.last }}{% endfor %})
  and value not between 0 and 1
