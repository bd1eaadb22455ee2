"""Masking personal data in reports and exports (on by default; `--unmask` turns it off and
the run ledger records that it was used).

Customer names keep their first and last character (张*明, 张*), phone numbers their first
three and last four digits (138****1234), account numbers their last four (****1234).
"""

from __future__ import annotations


def mask_name(name: str | None) -> str | None:
    if not name:
        return name
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) <= 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_account(account: str | None) -> str | None:
    if not account:
        return account
    account = account.strip()
    if len(account) <= 4:
        return "*" * len(account)
    return "*" * (len(account) - 4) + account[-4:]


class Masker:
    """One place that decides whether a value is shown: reports and exports ask it."""

    def __init__(self, unmask: bool = False):
        self.unmask = unmask

    def name(self, value):
        return value if self.unmask else mask_name(value)

    def phone(self, value):
        return value if self.unmask else mask_phone(value)

    def account(self, value):
        return value if self.unmask else mask_account(value)
