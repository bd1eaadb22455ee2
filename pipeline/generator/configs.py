"""Named generator configurations: the ranges a bank's parameters are drawn from.

A configuration is not a seed. Each one is a family of banks: the ranges its
`BankProfile` (profile.py) is drawn from — tier mix and book sizes, churn and contact
baselines, logging habits, evening-culture and bulk-logging branches, seasonality, a
market shock, households, own-account transfers, popular payees, branch campaigns,
declared relatives, gaps in data quality — and the mix of planted scenarios and
variants (share of subtle cases, durations, diversion to relatives or to several
counterparties, drains before an exit not yet in the data). The seed then draws one
bank from the family: `feidan generate --config NAME --seed S`.

- `default`: what `feidan generate` uses without `--config` (it draws from ranges too).
- `tune-a`, `tune-b`, `tune-c`: for choosing features, detectors, thresholds.
- `holdout-a`, `holdout-b`, `holdout-c`, `holdout-d`: reserved for reporting quality.
  **The holdout configurations are never used to tune any quality decision** (no
  feature, parameter, threshold or detector may be chosen by looking at their
  results); they differ from the tune configurations in their ranges, not only in
  their seeds, so a model fitted to the tune banks' world meets banks it has not seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

Range = tuple[float, float]

SCENARIO_NAMES = ("book_drain", "counterparty_funnel", "maturity_diversion", "offhours_dark",
                  "phone_hijack", "unrecorded_sales", "exit_poaching")


@dataclass(frozen=True)
class GeneratorConfig:
    name: str
    description: str
    # -- managers and books ----------------------------------------------------
    junior_share: Range = (0.35, 0.45)
    senior_share: Range = (0.15, 0.25)
    small_book_junior_share: Range = (0.25, 0.45)  # juniors whose book is 10-40 customers
    book_scale: Range = (0.85, 1.15)  # multiplies the tiers' mean book sizes
    natural_loss: Range = (0.004, 0.008)  # customers lost per month, nobody doing wrong
    turnover: Range = (0.03, 0.05)  # managers leaving in the window
    # -- contact habits ----------------------------------------------------------
    contact_rate: Range = (0.85, 1.2)  # multiplies ~1.5 logged contacts per customer-month
    offhours_base: Range = (0.03, 0.07)
    wechat_base: Range = (0.15, 0.35)
    late_logger_share: Range = (0.03, 0.08)  # managers who habitually log days late
    evening_branch_share: Range = (0.02, 0.06)  # branches with an evening/weekend culture
    bulk_log_branch_share: Range = (0.0, 0.04)  # branches whose CRM logs contacts weekly in bulk
    # -- seasonality and market ---------------------------------------------------
    cny_dip: Range = (0.55, 0.85)  # contact rate around Chinese New Year
    quarter_end_boost: Range = (1.1, 1.6)  # deal rate in the last two weeks of a quarter
    shock_depth: Range = (0.04, 0.14)  # the market shock month's fall
    # -- data quality --------------------------------------------------------------
    missing_logged_at: Range = (0.0, 0.03)
    missing_birth: Range = (0.0, 0.03)
    # -- households and innocent money flows ---------------------------------------
    household_share: Range = (0.3, 0.5)  # customers in households of 2-4
    shared_phone: Range = (0.3, 0.6)  # household members whose phone is the head's
    household_edit: Range = (0.02, 0.05)  # per member per year: manager sets the head's number
    family_transfer: Range = (0.15, 0.3)  # household members' transfers to the family account
    own_account: Range = (0.1, 0.2)  # transfers to/from the customer's own account elsewhere
    popular_payee: Range = (0.1, 0.2)  # outflows to insurers, depositories, developers, hospitals
    # the rest go to people and firms of the customer's own circle: most such payees are paid by
    # this one customer only (a landlord, a relative outside the bank, a supplier)
    private_payee: Range = (0.5, 0.8)
    campaign_branch_share: Range = (0.03, 0.08)  # branches running one product campaign
    # -- declared relatives ------------------------------------------------------------
    declare_share: Range = (0.45, 0.7)  # managers declaring relatives
    relative_is_customer: Range = (0.05, 0.15)
    relative_paid: Range = (0.02, 0.06)  # declared parties receiving an innocent payment
    # -- planted cases -------------------------------------------------------------------
    planted_rate: float = 0.006
    decoy_rate: float = 0.02
    subtle_share: Range = (0.55, 0.65)
    max_months: int = 6  # scenario durations 1..max_months
    scenario_weights: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SCENARIO_NAMES, 1.0))
    # variant probabilities (each scenario picks among the variants it supports)
    to_relative: float = 0.2
    several_counterparties: float = 0.25
    pre_exit: float = 0.4  # exit_poaching: a drain before an exit not yet in the data

    def ranges(self) -> dict[str, Range]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if isinstance(getattr(self, f.name), tuple)}


DEFAULT = GeneratorConfig("default", "the generator's default: moderate ranges everywhere")

CONFIGS: dict[str, GeneratorConfig] = {c.name: c for c in [
    DEFAULT,
    replace(DEFAULT, name="tune-a", description="tuning: a typical city bank",
            junior_share=(0.35, 0.45), household_share=(0.3, 0.45), subtle_share=(0.55, 0.6)),
    replace(DEFAULT, name="tune-b", description="tuning: more households, more evening branches, late loggers",
            household_share=(0.45, 0.6), evening_branch_share=(0.05, 0.09), late_logger_share=(0.06, 0.1),
            shared_phone=(0.5, 0.7), to_relative=0.3),
    replace(DEFAULT, name="tune-c", description="tuning: senior-heavy wealth bank, deep market shock, campaigns",
            junior_share=(0.25, 0.35), senior_share=(0.25, 0.35), shock_depth=(0.12, 0.2),
            campaign_branch_share=(0.06, 0.12), popular_payee=(0.15, 0.25),
            scenario_weights={**dict.fromkeys(SCENARIO_NAMES, 1.0), "maturity_diversion": 2.0}),
    # holdouts: ranges outside or across the tune ranges; never tuned on
    replace(DEFAULT, name="holdout-a", description="holdout: junior-heavy, many small books, big households",
            junior_share=(0.5, 0.6), senior_share=(0.08, 0.14), small_book_junior_share=(0.5, 0.7),
            household_share=(0.55, 0.7), household_edit=(0.04, 0.08), subtle_share=(0.6, 0.7)),
    replace(DEFAULT, name="holdout-b", description="holdout: evening culture, bulk logging, gaps in data quality",
            evening_branch_share=(0.08, 0.14), bulk_log_branch_share=(0.05, 0.1),
            late_logger_share=(0.08, 0.14), missing_logged_at=(0.04, 0.1), missing_birth=(0.04, 0.1),
            offhours_base=(0.06, 0.1), subtle_share=(0.6, 0.7), pre_exit=0.6),
    replace(DEFAULT, name="holdout-c", description="holdout: mostly subtle, relatives and scattered counterparties",
            subtle_share=(0.7, 0.8), to_relative=0.4, several_counterparties=0.45,
            declare_share=(0.7, 0.9), relative_is_customer=(0.15, 0.3), relative_paid=(0.06, 0.12),
            scenario_weights={**dict.fromkeys(SCENARIO_NAMES, 1.0), "counterparty_funnel": 2.0,
                              "maturity_diversion": 2.0, "book_drain": 0.5}),
    replace(DEFAULT, name="holdout-d", description="holdout: high churn, busy payees and campaigns, sharp shock",
            natural_loss=(0.008, 0.012), turnover=(0.05, 0.08), popular_payee=(0.2, 0.3),
            own_account=(0.2, 0.3), campaign_branch_share=(0.1, 0.16), shock_depth=(0.15, 0.25),
            cny_dip=(0.4, 0.6), quarter_end_boost=(1.5, 2.2), subtle_share=(0.6, 0.7)),
]}
TUNE = ("tune-a", "tune-b", "tune-c")
HOLDOUT = ("holdout-a", "holdout-b", "holdout-c", "holdout-d")


def get_config(name: str | None) -> GeneratorConfig:
    if name is None:
        return DEFAULT
    try:
        return CONFIGS[name]
    except KeyError:
        raise ValueError(f"unknown generator configuration {name!r}; known: {', '.join(CONFIGS)}") from None
