"""Features on hand-written rows, with expected values worked out by hand.

One small bank in October 2025 (National Day holidays 1-8 Oct; Saturday 11 Oct is a
make-up working day). Managers M1, M2 (branch B1, senior), M3 (branch B1, junior).
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import hand_bank, write_bundle

from core.settings import Settings
from features.build import build_features, feature_vars
from features.catalog import CATALOG, FEATURE_NAMES
from pipeline.loading import ingest_bundle

OCT = dt.date(2025, 10, 1)

MANAGERS = ("manager_id,branch_id,tier,hire_date,exit_date,phone\n"
            "M1,B1,senior,2020-01-01,,13800000001\n"
            "M2,B1,senior,2020-01-01,,13800000002\n"
            "M3,B1,junior,2020-01-01,2025-10-20,13800000003\n")
# C1-C4 are M1's book; C5 moves from M3 to M2 on 2025-09-10; C6, C7 are M3's until the exit.
CUSTOMERS = ("customer_id,customer_name,phone,birth_date,segment,opened_at,closed_at\n"
             "C1,甲,13900000001,1950-05-01,mass,2019-01-01,2025-10-15\n"
             "C2,乙,13900000002,1980-01-01,mass,2019-01-01,\n"
             "C3,丙,13900000003,1980-01-01,mass,2019-01-01,\n"
             "C4,丁,13900000004,1980-01-01,mass,2019-01-01,\n"
             "C5,戊,13900000005,1980-01-01,mass,2019-01-01,\n"
             "C6,己,13900000006,1980-01-01,mass,2019-01-01,\n"
             "C7,庚,13900000007,1980-01-01,mass,2019-01-01,\n")
ASSIGNMENTS = ("customer_id,manager_id,start_date,end_date,reason\n"
               "C1,M1,2019-01-01,,\nC2,M1,2019-01-01,,\nC3,M1,2019-01-01,,\nC4,M1,2019-01-01,,\n"
               "C5,M3,2019-01-01,2025-09-10,rebalance\nC5,M2,2025-09-10,,rebalance\n"
               "C6,M3,2019-01-01,2025-10-15,manager exit\nC6,M2,2025-10-15,,manager exit\n"
               "C7,M3,2019-01-01,2025-10-15,manager exit\nC7,M2,2025-10-15,,manager exit\n")
# September → October month-ends. C1 closes (prev 200k). C2 drains 100k → 10k (lost).
# C3 drops 100k → 30k (kept: 30% ≥ 20%). C4 has 5k → 0 (too small to count as a loss).
# C5 (reassigned away from M3 in September) drains 50k → 1k in October.
# C6 drains 80k → 0 in October (lost after M3's exit handover on 15 Oct).
BALANCES = ("customer_id,month,aum\n"
            "C1,2025-09,200000\n"
            "C2,2025-09,100000\nC2,2025-10,10000\n"
            "C3,2025-09,100000\nC3,2025-10,30000\n"
            "C4,2025-09,5000\nC4,2025-10,0\n"
            "C5,2025-09,50000\nC5,2025-10,1000\n"
            "C6,2025-09,80000\nC6,2025-10,0\n"
            "C7,2025-09,80000\nC7,2025-10,80000\n")
# M1's October contacts: 1 Oct 10:00 holiday (off), Sat 11 Oct 10:00 make-up workday (on),
# Mon 13 Oct 08:29 (off), Mon 13 Oct 18:30 (off), Tue 14 Oct 12:00 (on) → 3/5 off-hours.
# Logging lags 0, 1, 2, 3, 10 days → p90 = 3 + 0.6 × (10 - 3) = 7.2 days.
# C2's last contact is 2025-07-01: more than 60 days before its loss (dark); C1 was
# contacted on 14 Oct, the day before it closed (not dark).
CONTACTS = ("contact_id,manager_id,customer_id,contact_at,channel,duration_min,logged_at,note\n"
            "K1,M1,C1,2025-10-01 10:00,phone,5,2025-10-01 10:00,\n"
            "K2,M1,C3,2025-10-11 10:00,phone,5,2025-10-12 10:00,\n"
            "K3,M1,C3,2025-10-13 08:29,phone,5,2025-10-15 08:29,\n"
            "K4,M1,C4,2025-10-13 18:30,phone,5,2025-10-16 18:30,\n"
            "K5,M1,C1,2025-10-14 12:00,visit,30,2025-10-24 12:00,\n"
            "K6,M1,C2,2025-07-01 10:00,phone,5,2025-07-01 11:00,\n"
            "K7,M2,C5,2025-09-15 10:00,phone,5,2025-09-15 11:00,\n")
# Outflows in October: C2 sends 90k and C1 sends 150k to the same outside account.
TRANSFERS = ("transfer_id,customer_id,transfer_at,amount,direction,counterparty_name,counterparty_account,counterparty_bank\n"
             "T1,C2,2025-10-09 10:00,90000,out,某投资公司,6222****0001,某银行\n"
             "T2,C1,2025-10-14 15:00,150000,out,某投资公司,6222****0001,某银行\n"
             "T3,C3,2025-10-20 15:00,70000,out,丙本人,6217****0003,他行\n"
             # 某投资公司 is also paid by three customers of other managers in September: M1's
             # two are not at least half its payers. 某咨询公司 is paid by M1's C3 and C4 only.
             "T4,C5,2025-09-20 10:00,1000,out,某投资公司,6222****0001,某银行\n"
             "T5,C6,2025-09-20 10:00,1000,out,某投资公司,6222****0001,某银行\n"
             "T6,C7,2025-09-20 10:00,1000,out,某投资公司,6222****0001,某银行\n"
             "T7,C3,2025-10-21 10:00,100,out,某咨询公司,6222****0002,某银行\n"
             "T8,C4,2025-10-22 10:00,100,out,某咨询公司,6222****0002,某银行\n")
# M1 edits two phones: C3 to M2's number (staff: shared), C4 to a fresh number (not shared).
FIELD_CHANGES = ("customer_id,field,old_value,new_value,changed_by,changed_at\n"
                 "C3,phone,13900000003,13800000002,M1,2025-10-05 10:00\n"
                 "C4,phone,13900000004,13700000009,M1,2025-10-06 10:00\n"
                 "C2,phone,13900000002,13700000010,system,2025-10-06 10:00\n")
# M1: 2 won wealth sales in October, one without a recording; 1 lost at negotiation, 1 lost
# at lead → late-stage losses 1 of 4 closed deals. A wealth product of C3 matures on
# 2025-10-10 (100k) without renewal, and C3 moves 70k out on the 20th → leaked.
DEALS = ("deal_id,customer_id,manager_id,product_type,amount,created_at,closed_at,status,stage,maturity_date,recording_id\n"
         "D1,C2,M1,wealth,1000,2025-10-09 10:00,2025-10-09 11:00,won,closing,,SL1\n"
         "D2,C4,M1,fund,1000,2025-10-09 10:00,2025-10-09 11:00,won,closing,,\n"
         "D3,C3,M1,wealth,1000,2025-10-09 10:00,2025-10-20 11:00,lost,negotiation,,\n"
         "D4,C4,M1,wealth,1000,2025-10-09 10:00,2025-10-21 11:00,lost,lead,,\n"
         "D5,C3,M1,wealth,100000,2025-04-10 10:00,2025-04-10 11:00,won,closing,2025-10-10,SL5\n")
COMPLAINTS = ("complaint_id,customer_id,manager_id,received_at,category,text\n"
              "Q1,C2,M1,2025-10-20 10:00,outside_product,私募产品无法赎回\n")

ALL = {"managers.csv": MANAGERS, "customers.csv": CUSTOMERS, "assignments.csv": ASSIGNMENTS,
       "contacts.csv": CONTACTS, "balances.csv": BALANCES, "transfers.csv": TRANSFERS,
       "field_changes.csv": FIELD_CHANGES, "deals.csv": DEALS, "complaints.csv": COMPLAINTS}


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    con, result = hand_bank(tmp_path_factory.mktemp("bank"), ALL, OCT)
    yield con, result
    con.close()


def value(con, manager, feature, month=OCT):
    rows = con.execute(f"select {feature} from feat_manager_month where manager_id = ? and month = ?",
                       [manager, month]).fetchall()
    assert len(rows) == 1, rows
    return rows[0][0]


def test_every_feature_column_has_a_catalogue_entry_and_back(bank):
    con, _ = bank
    columns = [r[0] for r in con.execute("describe feat_manager_month").fetchall()]
    keys = {"manager_id", "month", "branch_id", "tier", "book_size"}
    features = [c for c in columns if c not in keys and not c.endswith(("_peer_z", "_self_z"))]
    assert sorted(features) == sorted(FEATURE_NAMES)
    for name in FEATURE_NAMES:
        assert f"{name}_peer_z" in columns and f"{name}_self_z" in columns
    for f in CATALOG:
        assert f.label_zh and f.label_en and f.meaning_zh and f.meaning_en and f.unit in ("share", "count", "days", "amount")


def test_words_that_quote_a_threshold_take_it_from_the_settings():
    import re

    changed = Settings(elderly_age=70, churn_aum_ratio=0.25, reassign_loss_days=120, maturity_window_days=45,
                       dark_days=50, exit_window_days=80, business_start=dt.time(9, 0))
    zh = {f.name: f.meaning("zh", changed) for f in CATALOG}
    en = {f.name: f.meaning("en", changed) for f in CATALOG}
    assert "70岁" in zh["elderly_outflow_share"] and "aged 70 or more" in en["elderly_lost_customers_3m"]
    assert "25%" in zh["churn_rate"] and "below 25% of" in en["churn_rate"]
    assert "120天" in zh["reassign_loss_rate"] and "45 days" in en["maturity_leakage_rate"]
    assert "50天" in zh["dark_lost_customers_3m"] and "80 days" in en["exit_window_churn_rate"]
    assert "09:00–18:30" in zh["offhours_contact_share"]
    defaults = {f.name: f.meaning("en", Settings()) for f in CATALOG}
    assert "aged 65 or more" in defaults["elderly_outflow_share"] and "within 90 days" in defaults["reassign_loss_rate"]
    # no placeholder is left unfilled, and no settings-backed number is written into the words
    for text in [*zh.values(), *en.values()]:
        assert "{" not in text and "}" not in text
    for f in CATALOG:
        assert not re.search(r"\b(65|90)\b|20%", f.meaning_zh + f.meaning_en), f.name
    # the report's own words too (the chain table's "no logged contact for N days")
    from reports.i18n import words

    assert words("zh", changed)["off_system_silent"] == "50天无联系记录"
    assert words("en", Settings())["off_system_silent"] == "no logged contact for 60 days"


def test_offhours_share_follows_chinas_calendar_and_business_hours(bank):
    assert value(bank[0], "M1", "offhours_contact_share") == pytest.approx(3 / 5)


def test_logging_lag_p90(bank):
    assert value(bank[0], "M1", "logging_lag_p90_days") == pytest.approx(7.2)


def test_churn_counts_closures_and_drained_balances_only(bank):
    con, _ = bank
    # book at 1 Oct: C1-C4; lost in October: C1 (closed) and C2 (10k < 20% of 100k)
    assert value(con, "M1", "book_size") == 4
    assert value(con, "M1", "churn_rate") == pytest.approx(2 / 4)
    assert value(con, "M1", "churned_aum_share") == pytest.approx((200_000 + 100_000) / 405_000)


def test_dark_lost_customers(bank):
    # C2 had no contact in the 60 days before its loss; C1 was contacted the day before
    assert value(bank[0], "M1", "dark_lost_customers_3m") == 1


def test_shares_without_a_denominator_are_null_not_zero(bank):
    con, _ = bank
    assert value(con, "M2", "offhours_contact_share") is None  # no contacts in October
    assert value(con, "M2", "unrecorded_sales_share") is None  # sold nothing
    assert value(con, "M2", "late_stage_loss_rate") is None  # closed no deal
    assert value(con, "M1", "exit_window_churn_rate") is None  # no exit
    # M2 lost C5 (31 Oct), contacted on 15 Sep: within 60 days, so not dark: 0, not NULL
    assert value(con, "M2", "dark_lost_customers_3m") == 0


def test_shared_counterparty_and_elderly_outflows(bank):
    con, _ = bank
    assert value(con, "M1", "shared_counterparty_customers") == 2
    # 某咨询公司: both its payers are M1's; 某投资公司: M1's 2 of 5 payers in Aug-Oct (not half)
    assert value(con, "M1", "exclusive_counterparty_customers") == 2
    assert value(con, "M2", "exclusive_counterparty_customers") == 0
    # M3's C6 and C7 paid 某投资公司 in September: 2 of its 3 payers in Jul-Sep (exclusive),
    # 2 of 5 in Aug-Oct once M1's customers paid it too (not)
    sep = dt.date(2025, 9, 1)
    assert value(con, "M3", "shared_counterparty_customers", sep) == 2
    assert value(con, "M3", "exclusive_counterparty_customers", sep) == 2
    assert value(con, "M3", "shared_counterparty_customers") == 2
    assert value(con, "M3", "exclusive_counterparty_customers") == 0
    # outflows 90k (C2, 45) + 150k (C1, 75 years old) + 70k + 100 (C3, 45) + 100 (C4) → 150 / 310.2
    assert value(con, "M1", "elderly_outflow_share") == pytest.approx(150 / 310.2)


def test_phone_edits_to_staff_numbers_count_as_shared(bank):
    con, _ = bank
    assert value(con, "M1", "phone_edits_by_manager") == 2
    assert value(con, "M1", "phone_edits_to_shared_number") == 1
    assert value(con, "M2", "phone_edits_by_manager") == 0


def test_sales_conduct(bank):
    con, _ = bank
    assert value(con, "M1", "unrecorded_sales_share") == pytest.approx(1 / 2)
    assert value(con, "M1", "late_stage_loss_rate") == pytest.approx(1 / 4)
    assert value(con, "M1", "complaints_count") == 1


def test_maturity_leakage(bank):
    # D5 matured on 10 Oct, not renewed, and 70k (≥ half of 100k) left within 30 days
    assert value(bank[0], "M1", "maturity_leakage_rate") == pytest.approx(1.0)


def test_maturity_leakage_is_net_of_reinvestment_and_counts_elderly_customers(tmp_path):
    import duckdb

    # D1: C1 (75) matures 1 Oct 200k, buys a token 10k product on the 3rd and sends 150k out
    #     on the 14th: 140k net ≥ half → leaked (a token renewal does not hide it), elderly.
    # D2: C2 (74) matures 5 Sep 100k, 60k out on the 10th → leaked in September, elderly.
    # D3: C3 matures 10 Oct 100k, renews 100k on the 8th (a week before counts), 70k out → kept.
    # D4: C4 matures 10 Oct 100k, 60k out → leaked; C4 turns 65 on 20 Oct: not elderly yet.
    files = {
        "managers.csv": "manager_id,branch_id,tier,hire_date\nM1,B1,mid,2020-01-01\n",
        "customers.csv": ("customer_id,birth_date,opened_at\nC1,1950-03-01,2019-01-01\n"
                          "C2,1950-12-31,2019-01-01\nC3,1990-01-01,2019-01-01\nC4,1960-10-20,2019-01-01\n"),
        "assignments.csv": "customer_id,manager_id,start_date\n" + "".join(
            f"C{i},M1,2019-01-01\n" for i in range(1, 5)),
        "contacts.csv": ("contact_id,manager_id,customer_id,contact_at,channel\n"
                         "K1,M1,C1,2025-08-04 10:00,phone\nK2,M1,C1,2025-10-09 10:00,phone\n"),
        "deals.csv": ("deal_id,customer_id,manager_id,product_type,amount,created_at,status,stage,maturity_date,"
                      "recording_id\n"
                      "D1,C1,M1,wealth,200000,2025-04-01 10:00,won,closing,2025-10-01,S1\n"
                      "D1R,C1,M1,wealth,10000,2025-10-03 10:00,won,closing,,S2\n"
                      "D2,C2,M1,wealth,100000,2025-03-05 10:00,won,closing,2025-09-05,S3\n"
                      "D3,C3,M1,wealth,100000,2025-04-10 10:00,won,closing,2025-10-10,S4\n"
                      "D3R,C3,M1,wealth,100000,2025-10-08 10:00,won,closing,,S5\n"
                      "D4,C4,M1,wealth,100000,2025-04-10 10:00,won,closing,2025-10-10,S6\n"),
        "transfers.csv": ("transfer_id,customer_id,transfer_at,amount,direction,counterparty_name\n"
                          "T1,C1,2025-10-14 10:00,150000,out,甲\nT2,C2,2025-09-10 10:00,60000,out,乙\n"
                          "T3,C3,2025-10-20 10:00,70000,out,丙\nT4,C4,2025-10-20 10:00,60000,out,丁\n"),
    }
    con = duckdb.connect(str(tmp_path / "w.duckdb"))  # a file: dbt builds the features on it
    ingest_bundle(con, write_bundle(tmp_path / "b", files, base=False))
    build_features(con, OCT, Settings())
    assert value(con, "M1", "maturity_leakage_rate") == pytest.approx(2 / 3)
    assert value(con, "M1", "maturity_leakage_rate", dt.date(2025, 9, 1)) == 1.0
    assert value(con, "M1", "maturity_leakage_rate_3m") == pytest.approx(3 / 4)
    assert value(con, "M1", "elderly_maturity_leaks_3m") == 2
    assert value(con, "M1", "elderly_maturity_leaks_3m", dt.date(2025, 9, 1)) == 1
    assert value(con, "M1", "elderly_maturity_leaks_3m", dt.date(2025, 8, 1)) == 0


def test_reassignment_losses_go_to_the_previous_manager(bank):
    con, _ = bank
    # C5 moved M3 → M2 on 10 Sep and was lost in October: M3's loss, not M2's
    # M3's reassigned-away customers within 90 days of 31 Oct: C5, C6, C7; lost in Oct: C5, C6
    assert value(con, "M3", "reassign_loss_rate") == pytest.approx(2 / 3)
    assert value(con, "M2", "reassign_loss_rate") is None  # nobody was moved away from M2
    # M2 owned C5 on 1 Oct (C6, C7 arrived on 15 Oct), so C5's loss is M2's churn as well
    assert value(con, "M2", "book_size") == 1
    assert value(con, "M2", "churn_rate") == 1.0


def test_exit_window_churn(bank):
    con, _ = bank
    # M3 exits 20 Oct; the window opens 22 Jul with C5, C6, C7 in the book. C5 and C6 are
    # lost on 31 Oct (no outflow, so the month end), after the exit: nothing lost inside it
    assert value(con, "M3", "exit_window_churn_rate") == 0.0
    # shown in every month that overlaps the window: July (from the 22nd) to October
    assert con.execute("""select count(exit_window_churn_rate) from feat_manager_month
                          where manager_id = 'M3'""").fetchone()[0] == 4


def test_missing_optional_table_makes_its_features_null_and_is_reported(tmp_path):
    import duckdb

    files = {k: v for k, v in ALL.items() if k != "deals.csv"}
    con = duckdb.connect(str(tmp_path / "w.duckdb"))  # a file: dbt builds the features on it
    ingest_bundle(con, write_bundle(tmp_path / "b", files, base=False))
    result = build_features(con, OCT, Settings())
    assert set(result.skipped) == {"maturity_leakage_rate", "unrecorded_sales_share", "late_stage_loss_rate",
                                   "maturity_leakage_rate_3m", "unrecorded_sales_share_3m",
                                   "elderly_maturity_leaks_3m",
                                   "relative_payee_customers_3m"}  # no related_parties either (v1.1)
    assert value(con, "M1", "unrecorded_sales_share") is None
    assert value(con, "M1", "unrecorded_sales_share_peer_z") is None
    assert value(con, "M1", "churn_rate") == pytest.approx(2 / 4)


def test_sample_bundle_builds_and_passes_the_data_checks(tmp_path, monkeypatch):
    from pathlib import Path

    import duckdb

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    ingest_bundle(con, Path(__file__).resolve().parents[1] / "data" / "sample_bundle")
    result = build_features(con, dt.date(2026, 10, 1), Settings())
    assert result.failed_checks == {}
    assert result.rows["feat_manager_month"] == con.execute(
        "select count(*) from int_manager_month").fetchone()[0] > 50 * 5
    # ...and a failing check stops the build, named with its offending rows: a catalogue that
    # called the logging lag (days) a share would put values above 1 into a share column
    import features.build as build

    def lag_as_share(*args):
        variables = feature_vars(*args)
        return {**variables, "share_features": [*variables["share_features"], "logging_lag_p90_days"]}

    monkeypatch.setattr(build, "feature_vars", lag_as_share)
    with pytest.raises(build.FeatureCheckFailed, match=r"assert_feat_shares_in_unit_interval \(\d+ rows\)"):
        build_features(con, dt.date(2026, 10, 1), Settings())
    assert con.execute("select count(*) from feature_build_state").fetchone()[0] == 0  # not marked built


def test_peer_and_self_z_follow_the_documented_rules(bank):
    con, _ = bank
    row = con.execute("""select value, peer_group, peer_median, peer_z, self_median, self_z
                         from feat_feature_scores where manager_id = 'M1' and month = ?
                           and feature = 'phone_edits_by_manager'""", [OCT]).fetchall()[0]
    # branch B1 × senior has 2 managers (< 8): compare with all seniors, M1 = 2 and M2 = 0:
    # median 1, MAD 1 → scale 1.4826; own history Jul-Sep all 0 (flat) borrows that scale
    assert row[:3] == (2.0, "tier", 1.0)
    assert row[3] == pytest.approx((2 - 1) / 1.4826)
    assert row[4] == 0.0 and row[5] == pytest.approx(2 / 1.4826)
    # M3 is the only junior: no spread at all, so the catalogue's min_scale (1 edit) applies
    m3 = con.execute("""select value, peer_z from feat_feature_scores where manager_id = 'M3'
                        and month = ? and feature = 'phone_edits_by_manager'""", [OCT]).fetchall()[0]
    assert m3 == (0.0, 0.0)
    # NULL values have NULL z-scores
    assert value(con, "M2", "offhours_contact_share_peer_z") is None


def test_midnight_and_month_boundaries(tmp_path):
    import duckdb

    files = {
        "managers.csv": "manager_id,branch_id,tier,hire_date\nM1,B1,mid,2020-01-01\n",
        "customers.csv": ("customer_id,opened_at,closed_at\nC1,2019-01-01,\nC2,2019-01-01,2025-11-01\n"
                          "C3,2019-01-01,2025-10-31\n"),
        "assignments.csv": "customer_id,manager_id,start_date\nC1,M1,2019-01-01\nC2,M1,2019-01-01\nC3,M1,2019-01-01\n",
        # 30 Sep 23:59:59 is a Tuesday evening: off-hours, and September's. Midnight of 1 Oct is
        # October's (and a holiday). 9 Oct 2025 is the first workday after the holidays.
        "contacts.csv": ("contact_id,manager_id,customer_id,contact_at,channel\n"
                         "K1,M1,C1,2025-09-30 23:59:59,phone\nK2,M1,C1,2025-10-01 00:00:00,phone\n"
                         "K3,M1,C1,2025-09-30 12:00,phone\nK4,M1,C1,2025-10-09 09:00,phone\n"),
        "balances.csv": "customer_id,month,aum\nC1,2025-09,1000\nC2,2025-09,1000\nC3,2025-09,1000\n",
    }
    con = duckdb.connect(str(tmp_path / "w.duckdb"))  # a file: dbt builds the features on it
    ingest_bundle(con, write_bundle(tmp_path / "b", files, base=False))
    build_features(con, OCT, Settings())
    assert value(con, "M1", "offhours_contact_share", dt.date(2025, 9, 1)) == pytest.approx(1 / 2)
    assert value(con, "M1", "offhours_contact_share", OCT) == pytest.approx(1 / 2)
    # C3 closed on 31 Oct: an October loss; C2 closes on 1 Nov: not October's
    assert value(con, "M1", "churn_rate", OCT) == pytest.approx(1 / 3)


def test_three_month_features_sum_the_window(bank):
    con, _ = bank
    # Aug-Oct: M1 lost C1 and C2 (both October) from a largest book of 4; lost AUM 300k of 405k
    assert value(con, "M1", "churn_rate_3m") == pytest.approx(2 / 4)
    assert value(con, "M1", "churned_aum_share_3m") == pytest.approx(300_000 / 405_000)
    # the only maturity (October) leaked; one of two recordable sales had no recording
    assert value(con, "M1", "maturity_leakage_rate_3m") == pytest.approx(1.0)
    assert value(con, "M1", "unrecorded_sales_share_3m") == pytest.approx(1 / 2)
    # of the two lost, C1 (born May 1950) was 75: one elderly customer lost
    assert value(con, "M1", "elderly_lost_customers_3m") == 1
    # September alone: no loss yet for M1, and no matured deal to divide by
    assert value(con, "M1", "elderly_lost_customers_3m", dt.date(2025, 9, 1)) == 0
    assert value(con, "M1", "churn_rate_3m", dt.date(2025, 9, 1)) == 0
    assert value(con, "M1", "maturity_leakage_rate_3m", dt.date(2025, 9, 1)) is None


def test_shares_from_too_few_events_get_no_z_score(bank):
    con, _ = bank
    rows = dict(con.execute("""
        select s.feature, s.support from int_feature_support s
        where s.manager_id = 'M1' and s.month = ?""", [OCT]).fetchall())
    assert rows["unrecorded_sales_share"] == 2 and rows["maturity_leakage_rate"] == 1
    # the lost-AUM share counts lost customers, not the book: C1 (200k) and C2 are two events
    assert rows["churned_aum_share"] == 2 and rows["churned_aum_share_3m"] == 2
    z = {f: (p, s) for f, p, s in con.execute("""
        select feature, peer_z, self_z from feat_feature_scores
        where manager_id = 'M1' and month = ?""", [OCT]).fetchall()}
    # 1 of 2 sales unrecorded is a value (shown to analysts) but not evidence (min_support 4)
    assert value(con, "M1", "unrecorded_sales_share") == pytest.approx(0.5)
    assert z["unrecorded_sales_share"] == (None, None)
    assert z["maturity_leakage_rate"] == (None, None)
    assert z["churn_rate"][0] is not None  # book-wide rates always count
    # one or two customers leaving is no pattern, however wealthy: shown, not scored
    assert value(con, "M1", "churned_aum_share") == pytest.approx(300_000 / 405_000)
    assert z["churned_aum_share"] == (None, None)
