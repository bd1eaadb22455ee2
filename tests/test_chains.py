"""Households, phone edits judged by household, and evidence chains, on hand-written rows
with the expected values worked out by hand (October 2026, one manager M1's book).

Households: C1 and C2 share an address (written differently); the others live alone.
Phone edits by M1: C1 → C2's number (same household: not suspicious), C3 → M1's own
number (suspicious), C4 → C3's number (another household: suspicious).
Chains: C5 silent since June, then 480k leaves to a payee that C6 pays too, then C5 is lost
(4 links: complete). C6 is contacted at 22:30, then 160k of its 300k leaves to that payee,
and C6 stays (3 links: partial). C7 moves all its money to its own account elsewhere and
leaves (explained: no money event, no chain).
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import hand_bank

from core.settings import Settings

OCT = dt.date(2026, 10, 1)

FILES = {
    "managers.csv": "manager_id,branch_id,tier,hire_date,exit_date,phone\n"
                    "M1,B1,senior,2020-01-01,,13800000001\n"
                    "M2,B1,senior,2020-01-01,,13800000002\n",
    "customers.csv": "customer_id,customer_name,phone,birth_date,segment,opened_at,closed_at,address\n"
                     "C1,王芳,13900000001,1960-01-01,mass,2019-01-01,,北京市朝阳区幸福路1号\n"
                     "C2,李强,13900000002,1958-01-01,mass,2019-01-01,,北京市 朝阳区幸福路1号。\n"
                     "C3,赵敏,13900000003,1980-01-01,mass,2019-01-01,,上海市静安区2号\n"
                     "C4,钱进,13900000004,1980-01-01,mass,2019-01-01,,\n"
                     "C5,孙丽,13900000005,1950-01-01,affluent,2019-01-01,,\n"
                     "C6,周杰,13900000006,1970-01-01,affluent,2019-01-01,,\n"
                     "C7,吴七,13900000007,1975-01-01,affluent,2019-01-01,,\n"
                     "C8,郑八,13900000008,1975-01-01,mass,2019-01-01,,\n",
    "assignments.csv": "customer_id,manager_id,start_date,end_date,reason\n"
                       + "".join(f"C{i},M1,2020-01-01,,\n" for i in range(1, 8)) + "C8,M2,2020-01-01,,\n",
    "contacts.csv": "contact_id,manager_id,customer_id,contact_at,channel,duration_min,logged_at,note\n"
                    "K1,M1,C5,2026-06-01 10:00,phone,5,2026-06-01 10:10,\n"
                    "K2,M1,C6,2026-10-05 22:30,wechat,5,2026-10-05 22:40,\n"
                    "K3,M1,C1,2026-10-09 10:00,visit,5,2026-10-09 11:00,\n"
                    "K4,M2,C8,2026-10-09 10:00,visit,5,2026-10-09 11:00,\n",
    "balances.csv": "customer_id,month,aum\n"
                    "C5,2026-08,500000\nC5,2026-09,500000\nC5,2026-10,10000\n"
                    "C6,2026-08,300000\nC6,2026-09,300000\nC6,2026-10,140000\n"
                    "C7,2026-08,200000\nC7,2026-09,200000\nC7,2026-10,0\n",
    "transfers.csv": "transfer_id,customer_id,transfer_at,amount,direction,counterparty_name,"
                     "counterparty_account,counterparty_bank\n"
                     "T1,C5,2026-10-10 11:00,480000,out,某某投资,6222****9999,某银行\n"
                     "T2,C6,2026-10-12 11:00,160000,out,某某投资,6222****9999,某银行\n"
                     "T3,C7,2026-10-08 11:00,200000,out,吴七,6214****1234,招商银行\n",
    "field_changes.csv": "customer_id,field,old_value,new_value,changed_by,changed_at\n"
                         "C1,phone,13900000001,13900000002,M1,2026-10-03 10:00\n"
                         "C3,phone,13900000003,13800000001,M1,2026-10-04 10:00\n"
                         "C4,phone,13900000004,13900000003,M1,2026-10-05 10:00\n",
}


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    con, _ = hand_bank(tmp_path_factory.mktemp("chains"), FILES, OCT)
    yield con
    con.close()


def _feature(con, name: str, manager: str = "M1"):
    return con.execute(f"select {name} from feat_manager_month where manager_id = ? and month = ?",
                       [manager, OCT]).fetchall()[0][0]


def test_customers_sharing_an_address_are_one_household(con):
    households = dict(con.execute("select customer_id, household_id from int_households").fetchall())
    assert households["C1"] == households["C2"] == "C1"
    assert len({households[c] for c in ("C3", "C4", "C5", "C6", "C7")}) == 5


def test_a_household_members_number_is_not_counted_the_managers_own_is(con):
    edits = dict(con.execute("select customer_id, shared_with from int_phone_edits").fetchall())
    assert edits == {"C1": "household", "C3": "own", "C4": "customer"}
    assert _feature(con, "phone_edits_by_manager") == 3
    assert _feature(con, "phone_edits_to_shared_number") == 2


def test_a_complete_chain_and_a_chain_with_a_missing_link(con):
    chains = {r[0]: r[1:] for r in con.execute(
        "select customer_id, links, silent, offhours, destination, lost_on from int_customer_chains").fetchall()}
    assert chains["C5"] == (4, True, False, True, dt.date(2026, 10, 10))
    assert chains["C6"] == (3, False, True, True, None)  # kept the customer: one link missing
    assert "C7" not in chains  # money to the customer's own account is no money event
    assert _feature(con, "chain_customers") == 2
    assert _feature(con, "chain_customers_3m") == 2
    assert _feature(con, "complete_chain_customers_3m") == 1
    assert _feature(con, "chain_amount_3m") == 640000


def test_own_account_and_household_payees_are_explained(con):
    flags = {r[0]: r[1:] for r in con.execute(
        "select transfer_id, own_account, explained, suspicious_payee, book_households from int_outflows").fetchall()}
    assert flags["T3"] == (True, True, False, 1)
    assert flags["T1"] == (False, False, True, 2) and flags["T2"] == (False, False, True, 2)


def test_chain_evidence_is_what_the_chain_features_count(con):
    from reports.evidence import load_evidence

    con.execute("create or replace temp table report_managers as select 'M1' as manager_id")
    chains = load_evidence(con, ["M1"], OCT, Settings())["evidence_chains"]["M1"]
    assert sorted(chains["customer_id"]) == ["C5", "C6"]
    assert chains["customer_id"].nunique() == _feature(con, "chain_customers_3m") == 2
    assert int((chains["links"] == 4).sum()) == _feature(con, "complete_chain_customers_3m") == 1
    assert chains["amount"].sum() == _feature(con, "chain_amount_3m") == 640000
    # C5 was last contacted in June: the silence the chain's first link stands for
    last = dict(zip(chains["customer_id"], chains["last_contact"], strict=True))
    assert last["C5"].date() == dt.date(2026, 6, 1) and last["C6"].date() == dt.date(2026, 10, 5)
