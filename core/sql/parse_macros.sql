-- Parse macros shared by ingest validation and the stg_<table> models.
-- Each returns NULL when the text is not of the form CONTRACT.md allows, so a
-- value that is present but parses to NULL is a bad value (quarantined at ingest).

create or replace macro clean_text(x) as nullif(trim(x), '');

-- Dates: YYYY-MM-DD, YYYY/MM/DD, YYYYMMDD; a midnight time is tolerated because
-- Excel and Parquet date-times carry one. try_strptime with a list of formats is
-- ~20x faster than regular expressions; the year guard rejects 2-digit years.
create or replace macro year_guard(v) as (case when year(v) between 1800 and 2999 then v end);

create or replace macro parse_date(x) as year_guard(
  try_strptime(trim(x), ['%Y-%m-%d', '%Y/%m/%d', '%Y%m%d',
                         '%Y-%m-%d 00:00:00', '%Y/%m/%d 00:00:00', '%Y-%m-%d 00:00',
                         '%Y-%m-%d 00:00:00.000000'])::date
);

-- Local wall-clock times: YYYY-MM-DD HH:MM[:SS[.ffffff]] or with slashes.
create or replace macro parse_timestamp(x) as year_guard(
  try_strptime(trim(x), ['%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M', '%Y/%m/%d %H:%M:%S',
                         '%Y/%m/%d %H:%M', '%Y-%m-%d %H:%M:%S.%f', '%Y/%m/%d %H:%M:%S.%f'])
);

-- Months: YYYY-MM (a first-of-month date from Parquet/Excel is accepted too).
create or replace macro parse_month(x) as year_guard(
  -- CASE, not coalesce: a failed format is expensive and coalesce evaluates both sides
  case when length(trim(x)) <= 7 then try_strptime(trim(x), ['%Y-%m', '%Y/%m'])::date
       else date_trunc('month', parse_date(x))::date end
);

-- Money: plain decimal, or thousands separators as in "1,234.50" (checked strictly).
create or replace macro parse_money(x) as (
  case
    when strpos(x, ',') = 0 and regexp_full_match(trim(x), '[-+]?\d+(\.\d+)?')
      then try_cast(trim(x) as decimal(18, 2))
    when regexp_full_match(trim(x), '[-+]?\d{1,3}(,\d{3})+(\.\d+)?')
      then try_cast(replace(trim(x), ',', '') as decimal(18, 2))
  end
);

create or replace macro parse_number(x) as try_cast(trim(x) as double);

-- Enumerations: the English value (any case) or its Chinese spelling.
create or replace macro parse_tier(x) as (
  case lower(trim(x))
    when 'junior' then 'junior' when '初级' then 'junior'
    when 'mid' then 'mid' when '中级' then 'mid'
    when 'senior' then 'senior' when '高级' then 'senior'
  end
);
create or replace macro parse_segment(x) as (
  case lower(trim(x))
    when 'mass' then 'mass' when '大众' then 'mass'
    when 'affluent' then 'affluent' when '财富' then 'affluent'
    when 'private' then 'private' when '私行' then 'private'
  end
);
create or replace macro parse_channel(x) as (
  case lower(trim(x))
    when 'phone' then 'phone' when '电话' then 'phone'
    when 'visit' then 'visit' when '面访' then 'visit'
    when 'wechat' then 'wechat' when '微信' then 'wechat'
    when 'sms' then 'sms' when '短信' then 'sms'
    when 'email' then 'email' when '邮件' then 'email'
    when 'other' then 'other' when '其他' then 'other'
  end
);
create or replace macro parse_direction(x) as (
  case lower(trim(x))
    when 'in' then 'in' when '转入' then 'in'
    when 'out' then 'out' when '转出' then 'out'
  end
);
create or replace macro parse_product_type(x) as (
  case lower(trim(x))
    when 'deposit' then 'deposit' when '存款' then 'deposit'
    when 'wealth' then 'wealth' when '理财' then 'wealth'
    when 'fund' then 'fund' when '基金' then 'fund'
    when 'insurance' then 'insurance' when '保险' then 'insurance'
    when 'loan' then 'loan' when '贷款' then 'loan'
    when 'other' then 'other' when '其他' then 'other'
  end
);
create or replace macro parse_deal_status(x) as (
  case lower(trim(x))
    when 'open' then 'open' when '进行中' then 'open'
    when 'won' then 'won' when '成交' then 'won'
    when 'lost' then 'lost' when '丢单' then 'lost'
    when 'cancelled' then 'cancelled' when '取消' then 'cancelled'
  end
);
create or replace macro parse_field(x) as (
  case lower(trim(x))
    when 'phone' then 'phone' when '电话' then 'phone'
    when 'email' then 'email' when '邮箱' then 'email'
    when 'address' then 'address' when '地址' then 'address'
    when 'other' then 'other' when '其他' then 'other'
  end
);
create or replace macro parse_relation(x) as (
  case lower(trim(x))
    when 'spouse' then 'spouse' when '配偶' then 'spouse'
    when 'parent' then 'parent' when '父母' then 'parent'
    when 'child' then 'child' when '子女' then 'child'
    when 'sibling' then 'sibling' when '兄弟姐妹' then 'sibling'
    when 'other_relative' then 'other_relative' when '其他亲属' then 'other_relative'
    when 'company' then 'company' when '关联企业' then 'company'
  end
);
