"""A feature and its evidence count the same event rows (features/sql/int_*.sql): for a
manager-month, the report's evidence rows are exactly the events the feature counts. Hand-written
rows, values worked out by hand. October 2025: National Day holidays 1-8 Oct; Saturday 11 Oct is a
make-up working day. Managers M1, M2, M3 (branch B1, senior). Each case below is one the evidence
queries used to get wrong, when they wrote the rules a second time:

Contacts (M1, October, of C5): 1 Oct 10:00 holiday (off hours, logged at once), Sat 11 Oct 10:00
make-up workday (on, 1 day late), Mon 13 Oct 08:29 (off, 2 days), Mon 13 Oct 18:30 (off, 3 days),
Tue 14 Oct 12:00 (on, 10 days) → 3/5 off hours; lags 0, 1, 2, 3, 10 → p90 = 3 + 0.6 × 7 = 7.2
days: the contact logged 10 days late sets it (the evidence listed every contact a day late).

Losses and reassignments away from M1:
  C1 moves M1 → M2 on 15 Oct and drains (100k → 0) in October: lost 31 Oct, from M1's book (M1's
     at 1 Oct), not M2's (the evidence took the owner on the day of the loss); and a loss after a
     reassignment away from M1. C1 (born 1950) is elderly and went dark (last contact 15 Jul).
  C2's spell with M1 ends 1 Aug and M2 takes over on 20 Aug (19 days later: no reassignment);
     closed 10 Sep (the evidence took any ended spell).
  C3 moves M1 → M3 on 5 Sep, M3 taking over on 8 Sep (within 7 days: a reassignment; the evidence
     looked for the new manager on the exact day); closed 20 Oct.
  C4 moves M1 → M2 on 2 Jul, closed 25 Sep: within 90 days of the move, but the move is watched
     in the months whose last day is in those 90 days (July, August), so September does not count
     it (the evidence did).
  M1's October: moves watched C1 (Oct-Dec), C3 (Sep-Nov) → 2, both lost in October → 2/2.

Sales (M1, October): D1 won wealth recorded; D2 won fund unrecorded; D3 won deposit unrecorded
(needs no recording); D4 lost at negotiation, D5 cancelled at proposal (late); D6 lost at closing
(not a late stage); D7 open; D8 won insurance, not closed, created 5 Oct, unrecorded →
recordable D1, D2, D8; unrecorded D2, D8 (2/3); closed 7, late D4, D5 (2/7).

Maturities (M1, October): D9 (C7, 8,000) matures 9 Oct and 5,000 leaves on the 11th (leaked);
D10 (C6, 100,000) matures 20 Oct and nothing leaves (kept). Phone edits by M1: C7 to M2's number
(staff: suspicious), C6 to C5's (the same household: not). Complaints: Q1 names M1, Q2 nobody.

Counterparties (M1's C5, C6 share an address: one household; C7 alone): X is paid by C5, C6 and
C7 in October (2 households, 3 customers, nobody else: exclusive); Y by C5 and C6 only (one
household); Z by C7 in June and C5 in October (never two in one 3-month window); C7 also moves
money to its own account. The evidence counted customers, own accounts and the whole window.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import hand_bank

from core.settings import Settings
from reports.evidence import load_evidence

OCT = dt.date(2025, 10, 1)
SEP = dt.date(2025, 9, 1)

FILES = {
    "managers.csv": "manager_id,branch_id,tier,hire_date,exit_date,phone\n"
                    "M1,B1,senior,2020-01-01,,13800000001\n"
                    "M2,B1,senior,2020-01-01,,13800000002\n"
                    "M3,B1,senior,2020-01-01,,13800000003\n",
    "customers.csv": "customer_id,customer_name,phone,birth_date,segment,opened_at,closed_at,address\n"
                     "C1,甲,13900000001,1950-01-01,mass,2019-01-01,,\n"
                     "C2,乙,13900000002,1980-01-01,mass,2019-01-01,2025-09-10,\n"
                     "C3,丙,13900000003,1980-01-01,mass,2019-01-01,2025-10-20,\n"
                     "C4,丁,13900000004,1980-01-01,mass,2019-01-01,2025-09-25,\n"
                     "C5,戊,13900000005,1950-01-01,mass,2019-01-01,,北京市朝阳区幸福路1号\n"
                     "C6,己,13900000006,1980-01-01,mass,2019-01-01,,北京市朝阳区幸福路1号\n"
                     "C7,庚,13900000007,1980-01-01,mass,2019-01-01,,上海市静安区2号\n",
    "assignments.csv": "customer_id,manager_id,start_date,end_date,reason\n"
                       "C1,M1,2019-01-01,2025-10-15,rebalance\nC1,M2,2025-10-15,,rebalance\n"
                       "C2,M1,2019-01-01,2025-08-01,leave\nC2,M2,2025-08-20,,leave\n"
                       "C3,M1,2019-01-01,2025-09-05,rebalance\nC3,M3,2025-09-08,,rebalance\n"
                       "C4,M1,2019-01-01,2025-07-02,rebalance\nC4,M2,2025-07-02,,rebalance\n"
                       "C5,M1,2019-01-01,,\nC6,M1,2019-01-01,,\nC7,M1,2019-01-01,,\n",
    "contacts.csv": "contact_id,manager_id,customer_id,contact_at,channel,duration_min,logged_at,note\n"
                    "K0,M1,C1,2025-07-15 10:00,phone,5,2025-07-15 10:00,\n"
                    "K1,M1,C5,2025-10-01 10:00,phone,5,2025-10-01 10:00,\n"
                    "K2,M1,C5,2025-10-11 10:00,phone,5,2025-10-12 10:00,\n"
                    "K3,M1,C5,2025-10-13 08:29,phone,5,2025-10-15 08:29,\n"
                    "K4,M1,C5,2025-10-13 18:30,phone,5,2025-10-16 18:30,\n"
                    "K5,M1,C5,2025-10-14 12:00,visit,30,2025-10-24 12:00,\n"
                    "K6,M3,C3,2025-10-10 10:00,phone,5,2025-10-10 10:00,\n",
    "balances.csv": "customer_id,month,aum\n"
                    + "".join(f"{c},2025-{m:02d},{aum}\n" for c, aum in
                              (("C5", 500000), ("C6", 500000), ("C7", 500000))
                              for m in range(6, 11))
                    + "C1,2025-06,100000\nC1,2025-07,100000\nC1,2025-08,100000\nC1,2025-09,100000\nC1,2025-10,0\n"
                      "C2,2025-06,50000\nC2,2025-07,50000\nC2,2025-08,50000\n"
                      "C3,2025-06,80000\nC3,2025-07,80000\nC3,2025-08,80000\nC3,2025-09,80000\n"
                      "C4,2025-06,60000\nC4,2025-07,60000\nC4,2025-08,60000\n",
    "transfers.csv": "transfer_id,customer_id,transfer_at,amount,direction,counterparty_name,"
                     "counterparty_account,counterparty_bank\n"
                     "T1,C5,2025-10-03 10:00,1000,out,某投资,6222000011112222,某银行\n"
                     "T2,C6,2025-10-04 10:00,1000,out,某投资,6222000011112222,某银行\n"
                     "T3,C7,2025-10-05 10:00,1000,out,某投资,6222000011112222,某银行\n"
                     "T4,C5,2025-10-06 10:00,1000,out,某咨询,6222000033334444,某银行\n"
                     "T5,C6,2025-10-07 10:00,1000,out,某咨询,6222000033334444,某银行\n"
                     "T6,C7,2025-06-10 10:00,1000,out,某贸易,6222000055556666,某银行\n"
                     "T7,C5,2025-10-10 10:00,1000,out,某贸易,6222000055556666,某银行\n"
                     "T8,C7,2025-10-11 10:00,5000,out,庚,6214000077778888,他行\n",
    "deals.csv": "deal_id,customer_id,manager_id,product_type,amount,created_at,closed_at,status,stage,"
                 "maturity_date,recording_id,lost_reason\n"
                 "D1,C5,M1,wealth,1000,2025-10-02 10:00,2025-10-02 11:00,won,closing,,SL1,\n"
                 "D2,C5,M1,fund,1000,2025-10-02 10:00,2025-10-03 11:00,won,closing,,,\n"
                 "D3,C6,M1,deposit,1000,2025-10-02 10:00,2025-10-04 11:00,won,closing,,,\n"
                 "D4,C6,M1,wealth,1000,2025-09-02 10:00,2025-10-05 11:00,lost,negotiation,,,price\n"
                 "D5,C7,M1,wealth,1000,2025-09-02 10:00,2025-10-06 11:00,cancelled,proposal,,,\n"
                 "D6,C7,M1,wealth,1000,2025-09-02 10:00,2025-10-07 11:00,lost,closing,,,\n"
                 "D7,C7,M1,wealth,1000,2025-10-02 10:00,,open,negotiation,,,\n"
                 "D8,C5,M1,insurance,1000,2025-10-05 10:00,,won,closing,,,\n"
                 "D9,C7,M1,wealth,8000,2025-04-09 10:00,2025-04-09 11:00,won,closing,2025-10-09,SL9,\n"
                 "D10,C6,M1,wealth,100000,2025-04-20 10:00,2025-04-20 11:00,won,closing,2025-10-20,SL10,\n",
    "field_changes.csv": "customer_id,field,old_value,new_value,changed_by,changed_at\n"
                         "C7,phone,13900000007,13800000002,M1,2025-10-08 10:00\n"
                         "C6,phone,13900000006,13900000005,M1,2025-10-09 10:00\n",
    "complaints.csv": "complaint_id,customer_id,manager_id,received_at,category,text\n"
                      "Q1,C5,M1,2025-10-20 10:00,outside_product,私募产品无法赎回\n"
                      "Q2,C6,,2025-10-21 10:00,service,排队时间长\n",
}


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    settings = Settings()
    con, _ = hand_bank(tmp_path_factory.mktemp("events"), FILES, OCT, settings)
    con.execute("create temp table report_managers as select manager_id from stg_managers")
    evidence = load_evidence(con, ["M1", "M2", "M3"], OCT, settings)
    yield con, evidence
    con.close()


def feature(con, table: str, column: str, manager: str = "M1", month: dt.date = OCT):
    rows = con.execute(f"select {column} from {table} where manager_id = ? and month = ?",
                       [manager, month]).fetchall()
    return rows[0][0] if rows else None


def rows(evidence, query: str, manager: str = "M1"):
    return evidence[query].get(manager)


def in_month(frame, column: str, month: dt.date):
    days = frame[column].map(lambda v: v.date() if hasattr(v, "date") else v)
    return frame[days.map(lambda d: (d.year, d.month) == (month.year, month.month))]


def test_offhours_evidence_is_the_offhours_numerator(bank):
    con, evidence = bank
    contacts = in_month(rows(evidence, "evidence_contacts"), "contact_at", OCT)
    assert feature(con, "feat_contacts", "offhours_contact_share") == pytest.approx(3 / 5)
    assert sorted(contacts[contacts["off_hours"]]["contact_id"]) == ["K1", "K3", "K4"]
    assert int(contacts["off_hours"].sum()) == feature(con, "feat_contacts", "offhours_contacts") == 3


def test_late_logged_evidence_is_the_tail_that_sets_the_lag_p90(bank):
    con, evidence = bank
    contacts = in_month(rows(evidence, "evidence_contacts"), "contact_at", OCT)
    p90 = feature(con, "feat_contacts", "logging_lag_p90_days")
    assert p90 == pytest.approx(7.2)
    # contacts a day or more late (K2-K4) are below the 90th percentile: not what the feature says
    assert sorted(contacts[contacts["late"]]["contact_id"]) == ["K5"]
    assert (contacts[contacts["late"]]["lag_days"] >= p90).all()


def test_lost_customers_evidence_is_the_books_losses(bank):
    con, evidence = bank
    m1 = in_month(rows(evidence, "evidence_lost_customers"), "lost_on", OCT)
    # C1 moved to M2 on 15 Oct and was lost on the 31st: a loss from M1's October book
    assert list(m1["customer_id"]) == ["C1"] and feature(con, "feat_attrition", "lost_customers") == 1
    assert int(m1["went_dark"].sum()) == feature(con, "feat_attrition", "dark_lost_customers") == 1
    assert int(m1["elderly"].sum()) == feature(con, "feat_attrition", "elderly_lost_customers") == 1
    assert m1["balance_before"].sum() == feature(con, "feat_attrition", "lost_aum") == 100_000
    # M2 owned C1 on the day of the loss, but not at the start of October: not M2's loss
    assert feature(con, "feat_attrition", "lost_customers", "M2") == 0
    assert in_month(rows(evidence, "evidence_lost_customers", "M2"), "lost_on", OCT).empty
    # September: C2 (M2's since 20 Aug) and C4 (M2's since 2 Jul) are M2's losses
    m2 = in_month(rows(evidence, "evidence_lost_customers", "M2"), "lost_on", SEP)
    assert sorted(m2["customer_id"]) == ["C2", "C4"]
    assert feature(con, "feat_attrition", "lost_customers", "M2", SEP) == 2


def test_reassigned_lost_evidence_lists_the_customers_the_rate_counts(bank):
    con, evidence = bank
    lost = rows(evidence, "evidence_reassigned_lost")
    assert feature(con, "feat_attrition", "reassign_loss_rate") == 1.0
    assert feature(con, "feat_attrition", "reassigned_away") == 2
    # not C2 (no takeover within 7 days) nor C4 (lost after the months its move counts in)
    assert sorted(lost["customer_id"]) == ["C1", "C3"]
    assert len(lost) == feature(con, "feat_attrition", "lost_after_reassignment") == 2
    # M3 took C3 over three days after M1's spell ended
    assert dict(zip(lost["customer_id"], lost["new_manager"], strict=True)) == {"C1": "M2", "C3": "M3"}
    # September: only C3's move is watched, and C3 was not lost in September
    assert feature(con, "feat_attrition", "reassign_loss_rate", "M1", SEP) == 0.0
    assert feature(con, "feat_attrition", "lost_after_reassignment", "M1", SEP) == 0


def test_deal_evidence_is_the_sales_features_numerators(bank):
    con, evidence = bank
    deals = rows(evidence, "evidence_deals")
    unrecorded = deals[deals["kind"] == "unrecorded"]
    late = deals[deals["kind"] == "late_loss"]
    assert sorted(unrecorded["deal_id"]) == ["D2", "D8"]
    assert len(unrecorded) == feature(con, "feat_sales", "unrecorded_sales") == 2
    assert feature(con, "feat_sales", "unrecorded_sales_share") == pytest.approx(2 / 3)
    assert sorted(late["deal_id"]) == ["D4", "D5"]
    assert len(late) == feature(con, "feat_sales", "late_stage_losses") == 2
    assert feature(con, "feat_sales", "late_stage_loss_rate") == pytest.approx(2 / 7)


def test_counterparty_evidence_is_what_the_concentration_features_count(bank):
    con, evidence = bank
    payees = rows(evidence, "evidence_counterparties")
    # one household paying Y, and Z paid months apart, are no shared counterparty
    assert list(payees["counterparty_name"]) == ["某投资"]
    x = payees.iloc[0]
    assert (x["households"], x["customers"], x["bank_customers"], bool(x["exclusive"])) == (2, 3, 3, True)
    assert x["households"] == feature(con, "feat_outflows", "shared_counterparty_customers") == 2
    assert x["households"] == feature(con, "feat_outflows", "exclusive_counterparty_customers") == 2


def test_elderly_outflow_evidence_adds_up_to_the_share(bank):
    con, evidence = bank
    out = in_month(rows(evidence, "evidence_elderly_outflows"), "transfer_on", OCT)
    # C5 (75) sent T1, T4, T7 in October; M1's outflows in October: 3,000 + 2,000 + 6,000
    assert sorted(out["transfer_id"]) == ["T1", "T4", "T7"]
    assert feature(con, "feat_outflows", "elderly_outflow_share") == pytest.approx(out["amount"].sum() / 11_000)
    assert feature(con, "feat_outflows", "elderly_outflow_share") == pytest.approx(3 / 11)


def test_maturity_evidence_is_the_leakage_rate(bank):
    con, evidence = bank
    matured = in_month(rows(evidence, "evidence_maturities"), "maturity_date", OCT)
    assert dict(zip(matured["deal_id"], matured["leaked"], strict=True)) == {"D9": True, "D10": False}
    assert len(matured) == feature(con, "feat_outflows", "matured_deals") == 2
    assert int(matured["leaked"].sum()) == feature(con, "feat_outflows", "leaked_deals") == 1


def test_phone_edit_evidence_is_what_the_edit_features_count(bank):
    con, evidence = bank
    edits = rows(evidence, "evidence_phone_edits")
    assert dict(zip(edits["customer_id"], edits["shared_with"], strict=True)) == {"C7": "staff", "C6": "household"}
    assert len(edits) == feature(con, "feat_edits", "phone_edits_by_manager") == 2
    assert int(edits["suspicious"].sum()) == feature(con, "feat_edits", "phone_edits_to_shared_number") == 1


def test_complaint_evidence_is_the_complaints_count(bank):
    con, evidence = bank
    assert list(rows(evidence, "evidence_complaints")["complaint_id"]) == ["Q1"]
    assert feature(con, "feat_complaints", "complaints_count") == 1
