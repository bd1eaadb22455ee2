-- Case bookkeeping. case_months: one row per audit month × flagged manager (the case it
-- belongs to). cases: one row per case_id (rebuilt from case_months after every run).
-- dispositions: one row per analyst decision, append-only history; the newest
-- (recorded_at, line) per case_id is in force (view dispositions_in_force).
create table if not exists case_months (
    month date not null,
    case_id varchar not null,
    manager_id varchar not null,
    rank integer not null,
    risk_score double not null,
    status varchar not null,  -- new | ongoing
    primary key (month, manager_id)
);
-- kind: alert (ranked into the budget) | explore (a budget place given to a manager the
-- models disagree on); warehouses from before exploration gain the column
alter table case_months add column if not exists kind varchar default 'alert';

create table if not exists cases (
    case_id varchar primary key,
    manager_id varchar not null,
    first_flagged_month date not null,
    last_flagged_month date not null,
    months_flagged integer not null
);

-- sample_cases: one row per audit month × manager drawn into the below-the-line sample
-- (models/sampling.py): managers scored that month who were neither a case nor suppressed,
-- drawn at random within score bands (strata, numbered from the alert line down). Rerunning a
-- month replaces its rows. The stratum's size and how many were drawn from it weigh the
-- miss-rate estimate.
create table if not exists sample_cases (
    month date not null,
    case_id varchar not null,        -- SM-<YYYYMM>-<manager_id>; decided like any case
    manager_id varchar not null,
    rank integer not null,           -- the month's rank among all scored managers
    risk_score double not null,
    stratum integer not null,        -- 1 = the band just below the alert line
    stratum_size integer not null,   -- managers of the population in the stratum
    stratum_sampled integer not null,
    primary key (month, manager_id)
);

create table if not exists dispositions (
    case_id varchar not null,
    manager_id varchar,
    disposition varchar not null,  -- confirmed | dismissed | suppressed
    until date,                    -- suppressed: no case for audit months starting on or before it
    analyst varchar,
    comment varchar,
    recorded_at timestamp not null,
    source_file varchar,
    line integer
);

-- one row per case_id: the analysts' decision in force; its manager comes from the case
-- itself (a disposition names a case: a flagged one, or a below-the-line sample one)
create or replace view dispositions_in_force as
select dispositions.* replace (coalesce(cases.manager_id, sampled.manager_id, dispositions.manager_id)
                               as manager_id)
from dispositions
left join cases using (case_id)
left join (select distinct case_id, manager_id from sample_cases) sampled using (case_id)
qualify row_number() over (partition by case_id order by recorded_at desc, line desc nulls last) = 1;

-- the decisions in force on a day: a suppression stops being in force after its `until`
-- (a lapsed suppression leaves the case new or ongoing again, as if never suppressed);
-- confirmed and dismissed stand until an analyst decides otherwise
create or replace macro dispositions_on(day) as table
select * from dispositions_in_force
where disposition <> 'suppressed' or day::date <= until;

-- every case an analyst may decide, with the month it was looked at: flagged cases (one row
-- per flagged month) and below-the-line sample cases (the learned model's labels)
create or replace view looked_at_cases as
select month, case_id, manager_id from case_months
union all
select month, case_id, manager_id from sample_cases;
