"""Every word of the report and the export that is not a feature label (those come from
features/catalog.py), in Chinese (default) and English. One source: templates and the
result builder look words up here, never spell them out."""

from __future__ import annotations

import re

from features.catalog import quoted_settings

LANGS = ("zh", "en")

_WORDS: dict[str, tuple[str, str]] = {
    # page titles and sections
    "report_title": ("飞单风险审计报告", "Deal-diversion audit report"),
    "method_title": ("方法说明", "Method"),
    "manager_title": ("客户经理风险详情", "Account manager risk detail"),
    "run_header": ("运行信息", "Run"),
    "summary": ("概览", "Summary"),
    "distribution": ("风险分分布", "Risk score distribution"),
    "raw_distribution": ("检测模型原始分分布（对数刻度）", "The detector's raw score distribution (log scale)"),
    "raw_axis": ("检测模型原始分（对数刻度；风险分是它在全部客户经理中的百分位）",
                 "Detector's raw score (log scale; the risk score is its percentile among all managers)"),
    "managers_axis_log": ("客户经理人数（对数）", "Managers (log)"),
    "case": ("预警案件", "case"),
    "cases": ("预警案件", "Flagged cases"),
    "suppressed": ("已暂停预警的客户经理", "Suppressed managers"),
    "branches": ("分支机构概览", "Overview by branch"),
    "inputs": ("输入文件与行数核对", "Input files and row accounting"),
    "quarantine": ("隔离行（按原因）", "Quarantined rows by reason"),
    "skipped": ("因缺表跳过的特征", "Features skipped for missing tables"),
    "history": ("风险分历史", "Risk score history"),
    "features_vs_peers": ("特征与同组对比", "Features against the peer group"),
    "features_vs_peers_note": ("各特征为审计月 {month} 的数值；主要原因引用的是其同组偏离最高的月份，该月另列一行（高亮）。",
                               "Each feature in the audit month {month}; a reason quotes the month its peer z "
                               "peaked, shown as its own (highlighted) row."),
    "reasons": ("主要原因", "Top reasons"),
    "evidence": ("证据", "Evidence"),
    "features": ("特征目录", "Features"),
    "detector": ("检测模型", "Detector"),
    "budget_rule": ("预警额度", "Alert budget"),
    "versions": ("软件版本", "Library versions"),
    "past_outcomes": ("历史预警处置结果", "Outcomes of past alerts"),
    "peer_rules": ("同组比较规则", "How peers are compared"),
    "back_to_index": ("返回报告首页", "Back to the report"),
    "method_link": ("方法说明", "Method"),
    "nav_cases": ("预警案件", "Cases"),
    # run header fields
    "audit_month": ("审计月份", "Audit month"),
    "data_window": ("数据期间", "Data window"),
    "run_id": ("运行编号", "Run id"),
    "run_at": ("运行时间", "Run at"),
    "code_version": ("程序版本", "Code version"),
    "model_id": ("模型编号", "Model id"),
    "masking": ("个人信息", "Personal data"),
    "masked": ("已脱敏", "masked"),
    "unmasked": ("未脱敏（--unmask）", "NOT masked (--unmask)"),
    # figures
    "managers_scored": ("评分客户经理", "Managers scored"),
    "cases_flagged": ("预警案件", "Cases flagged"),
    "new_cases": ("新增", "New"),
    "ongoing_cases": ("持续", "Ongoing"),
    "confirmed_cases": ("其中已确认", "Of which confirmed"),
    "dismissed_cases": ("其中已排除", "Of which dismissed"),
    "disposition": ("处置", "Disposition"),
    "branches_with_cases": ("有案件的机构", "Branches with cases"),
    "threshold": ("预警阈值", "Alert threshold"),
    "managers_axis": ("客户经理人数", "Managers"),
    "risk_axis": ("风险分", "Risk score"),
    # table columns
    "rank": ("排名", "Rank"),
    "case_id": ("案件编号", "Case id"),
    "manager": ("客户经理", "Manager"),
    "manager_id": ("客户经理编号", "Manager id"),
    "branch": ("机构", "Branch"),
    "tier": ("层级", "Tier"),
    "risk_score": ("风险分", "Risk score"),
    "status": ("状态", "Status"),
    "first_flagged": ("首次预警", "First flagged"),
    "detail": ("详情", "Detail"),
    "file": ("文件", "File"),
    "table": ("数据表", "Table"),
    "rows": ("行数", "Rows"),
    "loaded": ("已加载", "Loaded"),
    "quarantined": ("已隔离", "Quarantined"),
    "duplicates": ("重复", "Duplicates"),
    "file_status": ("处理结果", "Result"),
    "column": ("列", "Column"),
    "reason": ("原因", "Reason"),
    "count": ("数量", "Count"),
    "managers": ("客户经理数", "Managers"),
    "mean_risk": ("平均风险分", "Mean risk"),
    "max_risk": ("最高风险分", "Highest risk"),
    "suppressed_until": ("暂停至", "Suppressed until"),
    "analyst": ("分析员", "Analyst"),
    "comment": ("备注", "Comment"),
    "month": ("月份", "Month"),
    "feature": ("特征", "Feature"),
    "family": ("类别", "Family"),
    "value": ("本人数值", "Value"),
    "peer_median": ("同组中位数", "Peer median"),
    "percentile": ("同组百分位", "Peer percentile"),
    "peer_z": ("同组偏离（z）", "Peer z"),
    "self_z": ("自身偏离（z）", "Self z"),
    "unit": ("单位", "Unit"),
    "meaning": ("含义", "Meaning"),
    "needs_tables": ("所需数据表", "Tables needed"),
    "suspicious_when": ("可疑方向", "Suspicious when"),
    "higher": ("偏高", "higher"),
    "context_only": ("仅供参考，不计入评分", "context only, not scored"),
    "peak_month": ("峰值月份", "Peak month"),
    "showing_first": ("仅显示最近 {shown} 行，共 {total} 行", "Showing the latest {shown} of {total} rows"),
    "no_rows": ("无记录", "No rows"),
    "none": ("无", "none"),
    "parameter": ("参数", "Parameter"),
    "param_value": ("取值", "Value"),
    "library": ("库", "Library"),
    "version": ("版本", "Version"),
    "outcome": ("处置", "Outcome"),
    "other_branches": ("另有 {n} 个机构无案件，未列出", "{n} more branches without cases are not listed"),
    "reasons_none": ("无单项特征显著偏离", "No single feature stands out"),
    # statuses and dispositions
    "status_new": ("新增", "new"),
    "status_ongoing": ("持续", "ongoing"),
    "status_confirmed": ("已确认", "confirmed"),
    "status_dismissed": ("已排除", "dismissed"),
    "status_suppressed": ("已暂停", "suppressed"),
    "status_open": ("未处置", "open"),
    # file statuses
    "file_loaded": ("已加载", "loaded"),
    "file_rejected": ("已拒绝", "rejected"),
    "file_skipped": ("已跳过（内容相同）", "skipped (identical)"),
    "file_ignored": ("已忽略", "ignored"),
    # evidence tables
    "ev_lost_customers": ("流失客户", "Lost customers"),
    "ev_reassigned_lost": ("调出后流失的客户", "Customers lost after reassignment away"),
    "ev_counterparties": ("多个家庭共同转入的外部对手方", "Outside counterparties paid by several households"),
    "ev_maturities": ("到期产品与资金去向", "Matured products and where the money went"),
    "ev_phone_edits": ("客户电话修改记录", "Customer phone edits"),
    "support": ("事件数", "Events"),
    "estimate": ("收缩估计", "Shrunk estimate"),
    "ev_chains": ("证据链：同一客户身上的飞单轨迹", "Evidence chains: the diversion trail on one customer"),
    "off_system": ("系统外联系", "Contact off the system"),
    "off_system_silent": ("{settings.dark_days}天无联系记录", "no logged contact for {settings.dark_days} days"),
    "off_system_offhours": ("非工作时间联系", "off-hours contact"),
    "off_system_late_logged": ("补录联系记录", "contact logged late"),
    "event": ("资金事件", "Money event"),
    "event_maturity": ("到期未续、资金转出", "maturity not renewed, money out"),
    "event_outflow": ("大额转出", "large outflow"),
    "event_on": ("事件日期", "Event date"),
    "to_relative": ("收款方为员工申报亲属", "Payee a declared relative"),
    "links": ("环节数（满4）", "Links (of 4)"),
    "ev_unrecorded": ("未双录的销售", "Sales without recording"),
    "ev_late_losses": ("后期丢单", "Deals lost late"),
    "ev_complaints": ("投诉", "Complaints"),
    "ev_offhours_contacts": ("非工作时间的联系记录", "Contacts off hours"),
    "ev_late_logged": ("补录最慢的联系记录（当月延迟最长的一成，最长的在前）",
                       "Contacts logged latest (the month's slowest tenth, longest delay first)"),
    "ev_elderly_outflows": ("老年客户资金转出", "Outflows from elderly customers"),
    # evidence columns
    "customer": ("客户", "Customer"),
    "customer_id": ("客户编号", "Customer id"),
    "customer_name": ("客户姓名", "Customer name"),
    "counterparty_bank": ("对手方银行", "Counterparty bank"),
    "counterparty_name": ("对手方户名", "Counterparty name"),
    "complaint_id": ("投诉编号", "Complaint"),
    "contact_id": ("联系编号", "Contact"),
    "transfer_id": ("交易编号", "Transfer"),
    "lost_on": ("流失日期", "Lost on"),
    "how": ("流失方式", "How"),
    "how_closed": ("销户", "account closed"),
    "how_moved out": ("资金转出", "money moved out"),
    "balance_before": ("流失前资产", "Balance before"),
    "last_contact": ("最后一次联系", "Last logged contact"),
    "days_since_contact": ("距流失天数", "Days before loss"),
    "went_dark": ("流失前失联", "Went dark first"),
    "counterparty_account": ("对手方账号", "Counterparty account"),
    "moved_out": ("转出金额", "Moved out"),
    "moved_on": ("调出日期", "Reassigned on"),
    "move_reason": ("调出原因", "Reason"),
    "new_manager": ("接手客户经理", "New manager"),
    "customers": ("客户数", "Customers"),
    "households": ("家庭数", "Households"),
    "exclusive": ("主要由本人客户付款", "Paid mostly by this book"),
    "customer_ids": ("涉及客户", "Customers involved"),
    "bank_customers": ("全行付款客户数", "Paying customers bank-wide"),
    "transfers": ("笔数", "Transfers"),
    "amount": ("金额", "Amount"),
    "first_transfer": ("首笔", "First"),
    "last_transfer": ("末笔", "Last"),
    "deal_id": ("业务编号", "Deal"),
    "product_code": ("产品", "Product"),
    "product_type": ("产品类型", "Product type"),
    "maturity_date": ("到期日", "Matured on"),
    "reinvested": ("到期前后新购产品", "Reinvested in new products"),
    "leaked": ("资金流出", "Leaked"),
    "changed_at": ("修改时间", "Changed at"),
    "old_value": ("原号码", "Old number"),
    "new_value": ("新号码", "New number"),
    "shared_with": ("新号码属于", "New number belongs to"),
    "shared_own": ("客户经理本人", "the manager"),
    "shared_staff": ("其他员工", "another staff member"),
    "shared_customer": ("其他家庭的客户", "another household's customer"),
    "shared_relative": ("客户经理申报的亲属", "a relative the manager declared"),
    "shared_household": ("同一家庭成员（正常）", "a member of the same household (not suspicious)"),
    "deal_date": ("日期", "Date"),
    "stage": ("阶段", "Stage"),
    "lost_reason": ("丢单原因", "Lost reason"),
    "received_on": ("收到日期", "Received"),
    "category": ("类别", "Category"),
    "text": ("内容", "Text"),
    "contact_at": ("联系时间", "Contact at"),
    "logged_at": ("录入时间", "Logged at"),
    "lag_days": ("延迟天数", "Lag (days)"),
    "channel": ("渠道", "Channel"),
    "off_hours": ("非工作时间", "Off hours"),
    "non_workday": ("非工作日", "Non-workday"),
    "note": ("备注", "Note"),
    "age": ("年龄", "Age"),
    "transfer_on": ("转出日期", "Date"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # evidence counts (CSV and case table)
    "lost_customers": ("流失客户数", "Lost customers"),
    "lost_aum": ("流失资产", "Lost AUM"),
    "shared_counterparty_customers": ("同一对手方客户数", "Shared-counterparty customers"),
    "phone_edits": ("电话修改次数", "Phone edits"),
    "unrecorded_sales": ("未双录销售数", "Unrecorded sales"),
    # method page
    "method_detector_text": (
        "无监督异常检测：对审计月及前两个月每项特征的同组偏离与自身偏离（稳健 z 分数，仅计可疑方向）"
        "拟合 pyod ECOD 模型，只计显著的尾部分数（按特征离散度缩放），风险分为 0–100 的百分位。原因取自每个特征的这一分数（各项相加即为总分），"
        "且该特征本身的偏离至少为 1。",
        "Unsupervised anomaly detection: pyod's ECOD is fitted on every feature's peer and self deviation "
        "(robust z-scores, suspicious direction only) over the audit month and the two before; only significant "
        "tail scores count, scaled by each feature's spread, and the risk score is the 0-100 percentile of their "
        "sum. Reasons are the per-feature terms (they add up to the score), "
        "quoted only when the feature itself deviates by at least 1."),
    "method_budget_text": (
        "每月预警排名最高的 {k} 名客户经理（共评分 {n} 名；默认 1%，至少 10 名）；被暂停的客户经理让位于后续排名。",
        "The top {k} of {n} scored managers become cases (default 1%, at least 10); suppressed managers "
        "give their place to the next ranks."),
    "method_threshold_text": (
        "风险分不低于 {s} 的客户经理成为预警案件（本月 {k} 名，共评分 {n} 名；风险分为百分位，99.5 即前 0.5%）；"
        "被暂停的客户经理不由低于该分数者递补。",
        "Every manager with a risk score of at least {s} becomes a case ({k} of {n} scored this month; the "
        "score is a percentile, 99.5 = the top 0.5%); a suppressed manager's place is not given to anyone "
        "below it."),
    "method_peer_text": (
        "同组为同一机构 × 层级；少于 {min_group} 人时退回到同层级。稳健 z 分数 = (数值 − 中位数) / (1.4826 × MAD)，"
        "MAD 为零时改用 1.2533 × 平均绝对偏差，且尺度不小于该特征的最小尺度；自身比较使用本人此前 {window} 个月，少于 {min_months} 个月时不计算。少于 {min_support} 个事件得出的比例（如仅 1 笔销售）不计偏离。",
        "Peers are the same branch × tier, falling back to the tier when fewer than {min_group} managers; "
        "robust z = (value − median) / (1.4826 × MAD), 1.2533 × the mean absolute deviation when the MAD is "
        "zero, and never below the feature's minimum scale; "
        "the self baseline is the manager's previous {window} months, none with fewer than {min_months}. "
        "A share computed from fewer than {min_support} events (say, one sale) gets no z-score."),
    "chains_households": ("证据链、家庭与小样本", "Evidence chains, households and small denominators"),
    "method_chain_text": (
        "证据链（第10类）：同一客户身上依次出现 ① 联系转到系统外（事件前 {dark_days} 天无联系记录、非工作时间联系，"
        "或联系后 {late_log_days} 天以上才补录）② 资金事件（到期未续而资金转出，或无法解释的转出达到上月末资产的 "
        "{outflow_pct}%）③ 去向可疑（员工申报的亲属账户；本人名下两个以上家庭共同付款的对手方）④ 客户在事件后 {loss_days} 天内流失。四环齐全为完整证据链，缺一环为部分证据链。"
        "家庭：共用证件号摘要、地址或本人号码（客户经理改入的号码不算）、或向同一客户经理名下同名客户付款的客户归为一个家庭；"
        "同一键超过 {hh_max} 名客户时不视为家庭。改为家庭成员的号码、付给本人或家庭成员的款项、全行 {popular} 名以上客户经理的客户"
        "都付款的热门收款方，均不计为可疑。比例按事件数收缩：加入 {prior:g} 个按同组比例计的虚拟事件，再取 Wilson 下界"
        "（{z:g} 个标准误），事件少的比例不会因一两次事件而显得极端；页面上的事件数列即每个比例的依据。",
        "Evidence chains (family 10): on one customer, in order, (1) contact moved off the system (no logged "
        "contact in the {dark_days} days before the event, an off-hours contact, or one logged {late_log_days} or "
        "more days late), (2) a money event (a maturity not renewed with the money moved out, or an unexplained "
        "outflow of at least {outflow_pct}% of last month-end assets), (3) a suspicious destination (a relative's "
        "account the manager declared, or a payee that two or more households of the book pay), (4) the customer lost within "
        "{loss_days} days. All four: a complete chain; one missing: a partial chain. Households: customers sharing "
        "an id hash, an address or an own phone number (a number a manager edited in does not count), or paying "
        "a customer of the same name in the same manager's book; a key shared by more than {hh_max} customers is "
        "no household. A number changed to a household member's, money paid to the customer's own or a household "
        "member's account, and payees paid by customers of {popular} or more managers are not suspicious. Shares "
        "are weighed by their events: {prior:g} pseudo-events at the peer rate are added and the share taken at its "
        "Wilson lower bound ({z:g} standard errors), so a share from a handful of events is not extreme by "
        "itself; the Events column of the manager page is each share's support."),
    "method_precision_text": ("已处置案件中确认的比例：", "Share of decided past cases that were confirmed:"),
    "unit_share": ("比例", "share"),
    "unit_days": ("天", "days"),
    "unit_count": ("次数", "count"),
    "unit_amount": ("金额（元）", "amount (CNY)"),
}

# the below-the-line sample (models/sampling.py): index section, manager page, method page
_WORDS.update({
    "sample": ("低于预警线抽样", "Below-the-line sample"),
    "sample_note": (
        "本月从预警线以下的 {population} 名客户经理（未成为案件、未被暂停）中按排名分 {bands} 档随机抽取 {sampled} 名："
        "若其中有 {rate} 的人飞单，样本中至少出现一名的把握为 {confidence}。第 1 档紧邻预警线。请像预警案件一样核查，"
        "并导入处置结果（案件编号 SM-…）；方法说明页据此估计漏报率。",
        "{sampled} of the {population} managers below the alert line (not a case, not suppressed), drawn at random "
        "from {bands} rank bands: if {rate} of them divert, the sample holds at least one of them with {confidence} "
        "confidence. Band 1 lies just below the line. Check them like cases and import the decisions (case ids "
        "SM-…); the method page estimates the miss rate from them."),
    "stratum": ("分档", "Band"),
    "band_size": ("档内人数", "Managers in band"),
    "band_sampled": ("抽取", "Drawn"),
    "decided": ("已处置", "Decided"),
    "confirmed": ("确认", "Confirmed"),
    "confirmed_share": ("确认比例", "Confirmed share"),
    "case_kind": ("案件类型", "Case kind"),
    "kind_alert": ("预警", "alert"),
    "kind_sample": ("低于预警线抽样", "below-the-line sample"),
    "kind_explore": ("探索", "exploration"),
    "source_learned": ("学习模型", "learned model"),
    "source_detector": ("检测模型", "detector"),
    "method_blend_text": (
        "本月排名由两部分混合：检测模型的排名占 {detector}，由分析师处置学习的模型（{confirmed} 名已确认、{dismissed} 名已排除的"
        "客户经理，按其被处置当月的情况；系数均不为负）的排名占 {learned}。学习模型的权重 = 已确认人数 / (已确认人数 + {half})，"
        "检测模型始终保留在混合中，尚无人确认过的飞单类型仍由它发现。预警名额的 {explore} 留给两个模型意见分歧的客户经理（“探索”）。"
        "原因标注其来源（检测模型或学习模型）。",
        "This month's ranking blends two parts: the detector's rank weighs {detector}, the rank of a model learned from "
        "analysts' decisions ({confirmed} confirmed and {dismissed} dismissed managers, as each looked in the month "
        "decided; no coefficient below zero) weighs {learned}. The learned model's weight is confirmed / (confirmed + "
        "{half}); the detector always stays in the blend, so a kind of diversion nobody has confirmed yet is still "
        "found by it. {explore} of the alert budget goes to managers the two models disagree on (exploration). Each "
        "reason names its source (detector or learned model)."),
    "method_no_blend_text": (
        "本月排名仅来自检测模型：近 {months} 个月的案件中已确认的客户经理少于 {min_confirmed} 名（或本次运行关闭了从处置中学习）。",
        "This month's ranking is the detector's alone: fewer than {min_confirmed} managers were confirmed on cases of "
        "the last {months} months (or this run switched learning from decisions off)."),
    "explore_title": ("模型之间意见分歧：检测模型或学习模型单独会把此人排得很靠前",
                      "the two models disagree: the detector or the learned model alone ranks this manager high"),
    "explore_note": (
        "{k} 个案件中有 {n} 个为“探索”案件：预警名额的一部分留给预警线以下、检测模型与由分析师处置学习的模型意见分歧的客户经理。"
        "对它们的处置最能让学习模型学到它还不知道的情况。",
        "{n} of the {k} cases are exploration cases: part of the alert budget goes to managers below the line on "
        "whom the detector and the model learned from analysts' decisions disagree. Deciding them teaches the "
        "learned model most about what it does not know yet."),
    "miss_rate": ("漏报率（低于预警线抽样）", "Miss rate (below-the-line sample)"),
    "method_sample_text": (
        "每月从预警线以下（未成为案件、未被暂停）的客户经理中随机抽样，像预警案件一样核查。样本量为满足下式的最小 n："
        "若预警线以下有 {rate} 的客户经理飞单，n 名样本中一个都没有的概率不超过 {alpha}（超几何分布；置信度 {confidence}，"
        "可容忍漏报率 {rate}，即设置 sample_confidence、sample_tolerable_miss_rate）。预警线以下的客户经理按排名分为 "
        "{strata} 档，档内人数自预警线向下逐档加倍；样本一半按档内人数分配、一半各档平均分配，紧邻预警线的一档抽样比例最高。"
        "漏报率为各档确认比例按档内人数加权之和；区间（置信度 {confidence}）由各档的贝塔后验按权重蒙特卡洛相加得出"
        "（上限用 Jeffreys 先验；下限中无人确认的档计为 0）。",
        "Every month a random sample of the managers below the alert line (not a case, not suppressed) is checked "
        "like the cases. Its size is the smallest n for which, if {rate} of the managers below the line divert, a "
        "sample of n holds none of them with a probability of at most {alpha} (hypergeometric; confidence "
        "{confidence}, tolerable miss rate {rate}: settings sample_confidence, sample_tolerable_miss_rate). The "
        "managers below the line are cut by rank into {strata} bands, each twice the size of the one above it; half "
        "the sample is split by band size and half equally, so the band just below the line is sampled most. The "
        "miss rate is the bands' confirmed shares weighted by their size; its interval ({confidence}) adds the "
        "bands' beta posteriors by Monte Carlo (upper bound: Jeffreys' prior; lower bound: a band with nobody "
        "confirmed adds 0)."),
    "miss_rate_text": (
        "{month} 的抽样已处置 {decided}/{sampled} 名（确认 {confirmed} 名）。预警线以下 {population} 名客户经理中"
        "飞单的估计比例为 {estimate}（{level} 区间 {low} – {high}），即约 {missed} 人（{missed_low} – {missed_high} 人）"
        "未被预警。",
        "The sample of {month}: {decided} of {sampled} decided ({confirmed} confirmed). Estimated share of diverters "
        "among the {population} managers below the alert line: {estimate} ({level} interval {low} – {high}), about "
        "{missed} managers missed ({missed_low} – {missed_high})."),
    "miss_rate_waiting": (
        "{month} 的抽样已处置 {decided}/{sampled} 名（确认 {confirmed} 名）；每一档至少处置一名后才能估计漏报率。",
        "The sample of {month}: {decided} of {sampled} decided ({confirmed} confirmed); the miss rate is estimated "
        "once every band has a decided case."),
    "miss_rate_none": ("尚无已处置的抽样案件，暂无漏报率估计。", "No sample case has been decided yet: no miss rate."),
    "miss_rate_off": ("本次运行未抽样（设置 sample_enabled 已关闭），也无以往已处置的抽样。",
                      "This run drew no sample (setting sample_enabled is off), and no earlier sample was decided."),
})



def _enum_words() -> dict[str, tuple[str, str]]:
    """CRM enumerations shown in the report: the Chinese spellings of the contract, and the
    free-text values our generator and common CRMs write (deal stages, complaint categories);
    a value without a word is shown as it came."""
    from core.contract import CHANNELS, PRODUCT_TYPES, TIERS

    out = {}
    for prefix, values in (("tier", TIERS), ("channel", CHANNELS), ("product_type", PRODUCT_TYPES)):
        out.update({f"{prefix}_{k}": (zh, k) for k, zh in values.items()})
    out.update({
        "stage_lead": ("线索", "lead"), "stage_proposal": ("方案", "proposal"),
        "stage_negotiation": ("谈判", "negotiation"), "stage_closing": ("签约", "closing"),
        "category_service": ("服务", "service"), "category_fees": ("收费", "fees"),
        "category_product": ("产品", "product"), "category_outside_product": ("推介外部产品", "outside product"),
    })
    return out


_WORDS.update(_enum_words())

# method page: the model settings by name (the name itself is the FEIDAN_<NAME> variable)
_WORDS.update({f"param_{k}": v for k, v in {
    "detector": ("检测模型", "Detector"),
    "seed": ("随机种子", "Random seed"),
    "score_window_months": ("评分窗口（月）", "Score window (months)"),
    "peer_min_group": ("同组最少人数", "Smallest peer group"),
    "self_window_months": ("自身比较窗口（月）", "Self baseline (months)"),
    "self_min_months": ("自身比较最少月数", "Fewest months for a self baseline"),
    "min_support": ("比例最少事件数", "Fewest events for a share"),
    "shrink_prior_events": ("收缩虚拟事件数", "Shrinkage pseudo-events"),
    "shrink_z": ("Wilson 下界标准误数", "Wilson lower bound (standard errors)"),
    "household_max_size": ("家庭最多人数", "Largest household"),
    "popular_min_managers": ("热门收款方最少客户经理数", "Popular payee: fewest managers"),
    "dark_days": ("无联系天数", "Days without a logged contact"),
    "late_log_days": ("补录天数", "Days logged late"),
    "chain_outflow_share": ("证据链转出占上月末资产比例", "Chain outflow share of month-end assets"),
    "maturity_window_days": ("到期观察天数", "Maturity window (days)"),
    "reassign_loss_days": ("调出后流失天数", "Loss after reassignment (days)"),
}.items()})
_WORDS.update({
    "file_msg_ground_truth": ("生成数据的标注文件，不是 CRM 数据", "ground truth of a generated bundle, not CRM data"),
    "families_legend": ("类别：", "Families: "),
})


# method page: the model record (reports/model_record.py, models/model_card.py)
_WORDS.update({
    "model_record": ("模型档案", "Model record"),
    "model_record_text": ("本次评分的模型档案：学到了哪些处置、看了哪些数据、数据在模型之下变了多少。运行目录中的同一份档案：",
                          "The model card of this run's scoring: which decisions it learnt from, what it saw, and "
                          "how much the data under it moved. The same card in the run folder:"),
    "card_labels": ("标签：分析员的处置", "Labels: the analysts' decisions"),
    "card_labels_text": ("审计月之前各月案件当前有效的处置，按案件所属月份计（预警案件为首次预警月份，抽样复核案件为抽样月份）；"
                         "暂停预警不是标签。重跑以前的月份时，之后月份的案件不计入。",
                         "The decisions in force on the cases of the months before the audit month, by the case's "
                         "month (a flagged case: its first flagged month; a sample case: the month it was drawn); "
                         "a suppression is no label. Rerunning an earlier month leaves later months' cases out."),
    "card_no_labels": ("尚无处置。", "No decisions yet."),
    "card_case_kind": ("案件类型", "Kind of case"),
    "card_confirmed": ("已确认", "Confirmed"),
    "card_dismissed": ("已排除", "Dismissed"),
    "card_kind_flagged": ("预警案件", "flagged"),
    "card_kind_sample": ("抽样复核", "below-the-line sample"),
    "card_learning": ("从处置中学习", "Learning from the decisions"),
    "card_unsupervised": ("本次为无监督评分，未使用处置。", "This run is unsupervised: no decisions were used."),
    "learn_used": ("使用学习模型", "Learned model used"),
    "learn_why_not": ("未使用的原因", "Why not"),
    "learn_model": ("学习模型", "Learned model"),
    "learn_weights": ("混合权重", "Weights of the blend"),
    "learn_positives": ("正例（已确认的客户经理）", "Positives (confirmed managers)"),
    "learn_negatives": ("负例（已排除的客户经理）", "Negatives (dismissed managers)"),
    "learn_unlabelled": ("未标注的客户经理", "Unlabelled managers"),
    "learn_min_confirmed": ("所需最少确认数", "Confirmed managers needed"),
    "learn_training_months": ("训练月份", "Training months"),
    "learn_window_months": ("处置回看月数", "Months of decisions looked back on"),
    "learn_labels_by_month": ("各月训练标签", "Training labels by month"),
    "learn_explore_share": ("探索份额（预警额度中）", "Exploration share of the alert budget"),
    "learn_C": ("正则化强度的倒数", "Inverse regularisation strength"),
    "learn_unlabelled_weight": ("未标注者作为负例的权重", "Weight of an undecided manager as a negative"),
    "learn_half_weight": ("学习模型权重达一半时的确认数", "Confirmed managers at which the learned model weighs half"),
    "learn_detector_term": ("检测模型分数的系数", "Coefficient of the detector's score"),
    "learn_fingerprint": ("训练数据指纹", "Fingerprint of the training data"),
    "learn_params": ("学习模型参数", "Its parameters"),
    "learn_model_logistic_regression": ("逻辑回归", "logistic regression"),
    "weight_unsupervised": ("无监督分数", "unsupervised score"),
    "weight_learned": ("学习模型", "learned model"),
    "why_not_switched_off": ("已关闭", "switched off (--no-feedback)"),
    "why_not_too_few_confirmed": ("已确认的客户经理太少", "too few confirmed managers"),
    "card_month": ("月份", "month"),
    "card_window": ("评分窗口", "Scoring window"),
    "card_window_text": ("审计月及之前共 {n} 个月：{first} 至 {last}。检测模型在审计月的全部客户经理上拟合。",
                         "The audit month and the months before it, {n} in all: {first} to {last}. The detector "
                         "is fitted on all managers of the audit month."),
    "card_parameters": ("模型参数", "Model parameters"),
    "card_features": ("模型输入特征（{n} 项）", "Model input features ({n})"),
    "card_features_show": ("展开列表", "Show the list"),
    "card_held_out": ("留出配置上的质量（回放基准）", "Quality on held-out configurations (replay benchmark)"),
    "card_not_measured": ("尚未测量。", "Not measured yet."),
    "card_measured_at": ("测量日期 {date}，详见 {source}。", "Measured on {date}; see {source}."),
    "card_config": ("生成配置", "Configuration"),
    "card_round": ("反馈轮次", "Feedback round"),
    "card_ap": ("平均精度", "Average precision"),
    "card_ap_detector": ("同月仅检测模型的平均精度", "AP, detector alone (same month)"),
    "card_recall_at_k": ("额度内召回率", "Recall at the budget"),
    "card_subtle_recall": ("隐蔽案件召回率", "Subtle cases' recall"),
    "card_drift": ("特征分布变化（稳定性指数）", "Shift of the features' distributions (PSI)"),
    "card_drift_text": (
        "审计月 {month} 与上月 {previous} 相比，每项模型输入特征的群体稳定性指数：按上月的十分位数分箱（0 单独成箱），"
        "空箱占比按 {eps} 计，指数 = Σ（本月占比 − 上月占比）× ln（本月占比 ÷ 上月占比）。低于 {moderate} 为稳定，"
        "{moderate} 至 {major} 为中等变化，{major} 及以上为显著变化：数据在模型之下变了，先核对数据，再看排名。"
        "只有少数客户经理有数值的特征，两个月即使分布相同也会因随机抽样而相差约 (箱数 − 1) × (1 ÷ 上月数值数 + 1 ÷ 本月数值数)，"
        "该随机水平超过 {max_chance} 时只列出指数，不作判断。缺失占比为当月没有数值的客户经理的比例。",
        "The population stability index of every model input, audit month {month} against {previous}: bins at the "
        "previous month's deciles (0 a bin of its own), an empty bin's share counted as {eps}, "
        "PSI = Σ (this month's share − last month's) × ln(this month's ÷ last month's). Below {moderate}: stable; "
        "{moderate} to {major}: a moderate shift; {major} or more: a major shift — the data changed under the "
        "model, so check the data before the ranking. A feature few managers have a value for moves by chance alone, "
        "about (bins − 1) × (1 ÷ last month's values + 1 ÷ this month's) between two months of the same "
        "distribution: where that chance level exceeds {max_chance}, the index is shown but not judged. Missing: "
        "the share of the month's managers without a value."),
    "card_drift_major": ("显著变化的特征：{n} 项。", "Features with a major shift: {n}."),
    "card_psi": ("稳定性指数", "PSI"),
    "card_band": ("变化程度", "Shift"),
    "card_band_stable": ("稳定", "stable"),
    "card_band_moderate": ("中等变化", "moderate shift"),
    "card_band_major": ("显著变化", "major shift"),
    "card_band_few_values": ("数值太少，不作判断", "too few values to judge"),
    "card_chance": ("随机水平", "Chance level"),
    "card_band_no_previous": ("上月无数据", "no values last month"),
    "card_band_no_current": ("本月无数据", "no values this month"),
    "card_missing_previous": ("上月缺失", "Missing last month"),
    "card_missing_current": ("本月缺失", "Missing this month"),
    "param_family_power": ("类别合并幂次", "Family power"),
    "param_alert_rule": ("预警规则", "Alert rule"),
})

# the Prefect artifacts of a run (pipeline/artifacts.py), in the report's language
_WORDS.update({
    "art_title": ("审计 {month} — 运行 `{run_id}`", "Audit {month} — run `{run_id}`"),
    "art_files": ("输入文件", "files in the bundle(s)"),
    "art_files_detail": ("{n}（{skipped} 个已加载过，{rejected} 个被拒绝）", "{n} ({skipped} already loaded, {rejected} rejected)"),
    "art_rows_loaded": ("已加载行数", "rows loaded"),
    "art_rows_quarantined": ("隔离行数", "rows quarantined"),
    "art_duplicates": ("完全重复行数", "exact duplicate rows"),
    "art_flagged": ("预警案件（{rule}）", "flagged cases ({rule})"),
    "art_flagged_detail": ("{flagged}（新增 {new}，持续 {ongoing}；分析员确认 {confirmed}，排除 {dismissed}）",
                           "{flagged} ({new} new, {ongoing} ongoing; analysts: {confirmed} confirmed, "
                           "{dismissed} dismissed)"),
    "art_rule_budget": ("额度 {k}", "budget {k}"),
    "art_rule_min_score": ("风险分 ≥ {s}", "risk score ≥ {s}"),
    "art_suppressed": ("分析员暂停预警", "suppressed by analysts"),
    "art_quarantined_by_file": ("本次隔离的行（按文件）", "Quarantined rows (this run)"),
    "art_of_rows": ("总行数", "of rows"),
    "art_quarantine_where": ("每一行的文件、行号、列和原因：数据仓库中的 `quarantine` 表。",
                             "Each row with its file, line, column and reason: table `quarantine` in the warehouse."),
    "art_rejected": ("被拒绝的文件", "Rejected files"),
    "art_outputs": ("输出", "Outputs"),
    "art_report": ("报告", "report"),
    "art_report_path": ("报告文件（在能访问该目录的电脑上用浏览器打开）",
                        "report file (open it in a browser on a machine that can reach the folder)"),
    "art_flagged_csv": ("预警案件 CSV", "flagged cases CSV"),
    "art_scores_csv": ("评分 CSV", "scores CSV"),
    "art_unmasked": ("**本次输出中的客户姓名和电话未脱敏。**",
                     "**Customer names and phone numbers are unmasked in this run's outputs.**"),
    "art_report_link_text": ("审计报告（{run_id}）", "Audit report ({run_id})"),
})


class Words(dict):
    """The words of one language; `t.key` in templates, `t["key"]` in code."""

    def __getattr__(self, key: str) -> str:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"no translation for {key!r}") from None


def words(lang: str, settings=None) -> Words:
    """The words in `lang`. A word that quotes a setting says `{settings.<name>}`
    ({settings.dark_days}); with the run's settings those are filled here. The other
    placeholders ({month}, {min_support}) are the caller's to fill with `.format`."""
    if lang not in LANGS:
        raise ValueError(f"language must be one of {', '.join(LANGS)}, not {lang!r}")
    i = LANGS.index(lang)
    values = quoted_settings(settings) if settings is not None else {}

    def fill(text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: format(values[m[1]], m[2] or "") if m[1] in values else m[0], text)

    return Words({key: fill(pair[i]) for key, pair in _WORDS.items()})


_PLACEHOLDER = re.compile(r"\{settings\.(\w+)(?::([^}]*))?\}")
