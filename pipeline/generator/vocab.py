"""Words the synthetic bank is written in: names, banks, notes, counterparties."""

from __future__ import annotations

import numpy as np

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯瑶婷雪琳晨欣怡子轩梓涵一诺宏志海波春燕丹晓东")
BANKS = ["中国工商银行", "中国建设银行", "中国农业银行", "中国银行", "交通银行", "招商银行", "浦发银行",
         "中信银行", "兴业银行", "民生银行", "平安银行", "光大银行", "华夏银行", "广发银行", "邮储银行"]
COMPANIES = ["投资管理有限公司", "资产管理有限公司", "财富管理有限公司", "商贸有限公司", "科技有限公司",
             "咨询服务有限公司", "私募基金管理有限公司"]
CITIES = ["上海", "深圳", "杭州", "北京", "广州", "南京", "成都", "苏州", "宁波", "厦门"]
DEVELOPERS = ["万家房地产开发有限公司", "城投置业有限公司", "滨江房地产开发有限公司", "绿城置业有限公司"]
NOTES = [
    "客户来电咨询理财产品到期安排", "面谈资产配置，客户倾向稳健型产品", "微信沟通基金定投事宜",
    "电话回访，客户对服务满意", "客户询问大额存单利率", "提醒客户产品即将到期", "客户咨询保险产品，待跟进",
    "介绍新发行理财产品，客户表示考虑", "客户反映手机银行登录问题，已协助处理", "节日问候",
    "客户要求调整风险测评", "沟通孩子教育金规划，客户有意向", "客户近期资金需求较大，关注",
    "电话未接通，稍后再联系", "客户称\"收益不及预期\"，已解释市场波动", "约定下周到网点面签，带好身份证、银行卡",
    "客户咨询：转账限额如何调整？", "家庭资产盘点，客户提到外地购房计划\n后续跟进贷款需求",
    "<b>重要</b>客户，需重点维护", "客户问及=SUM(A1:A2)是什么意思（表格问题）",
]
COMPLAINT_TEXTS = {
    "service": ["等待时间过长，服务态度一般", "多次来电无人接听", "业务办理流程繁琐"],
    "fees": ["对账户管理费有异议", "转账手续费收取不合理"],
    "product": ["理财产品收益与宣传不符", "基金亏损，认为风险提示不足"],
    "outside_product": ["客户经理推荐的私募产品无法赎回，该产品并非本行发行",
                        "经客户经理介绍购买外部理财，现已逾期未兑付",
                        "客户经理让我把钱转到一家投资公司，说收益更高，现在联系不上"],
}
LOST_REASONS = ["客户选择他行产品", "收益率不满足要求", "客户资金另有安排", "客户暂不考虑", "风险等级不匹配"]


def zfill(a: np.ndarray, width: int) -> np.ndarray:
    """np.char.zfill that also takes an empty array."""
    return np.char.zfill(a, width) if len(a) else np.asarray(a, dtype=str)


def person_names(rng: np.random.Generator, n: int) -> np.ndarray:
    s = rng.choice(SURNAMES, n)
    g1 = rng.choice(GIVEN, n)
    g2 = rng.choice(GIVEN, n)
    two = rng.random(n) < 0.6
    return np.char.add(np.char.add(s, g1), np.where(two, g2, ""))


def company_names(rng: np.random.Generator, n: int) -> np.ndarray:
    city = rng.choice(CITIES, n)
    mid = np.char.add(rng.choice(GIVEN, n), rng.choice(GIVEN, n))
    return np.char.add(np.char.add(city, mid), rng.choice(COMPANIES, n))


def masked_accounts(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = rng.choice(["6222", "6217", "6228", "6230", "6214"], n)
    tail = rng.integers(0, 10000, n)
    return np.char.add(np.char.add(prefix, "****"), zfill(tail.astype(str), 4))


def phone_numbers(prefix_digit: int, ids: np.ndarray) -> np.ndarray:
    """Unique, random-looking mobile numbers: a bijection of the id onto 8 digits."""
    scrambled = (ids.astype(np.int64) * 48271 + 12345) % 1_000_000_000  # bijective: 48271 is coprime to 10^9
    return np.char.add(f"1{prefix_digit}", zfill(scrambled.astype(str), 9))

# payees many customers of many managers pay: insurers, brokerages' third-party
# depositories (银证转账), developers, hospitals, schools, utilities
POPULAR_PAYEES = [
    "中国人寿保险股份有限公司", "中国平安人寿保险股份有限公司", "太平洋人寿保险股份有限公司", "新华人寿保险股份有限公司",
    "泰康人寿保险有限责任公司", "中信证券客户交易结算资金", "华泰证券客户交易结算资金", "国泰君安证券客户交易结算资金",
    "招商证券客户交易结算资金", "广发证券客户交易结算资金", "万家房地产开发有限公司", "城投置业有限公司",
    "滨江房地产开发有限公司", "绿城置业有限公司", "市第一人民医院", "市中心医院", "省人民医院", "外国语学校",
    "国家电网有限公司", "市自来水有限公司", "住房公积金管理中心", "物业服务有限公司",
]
DISTRICTS = ["浦东新区", "徐汇区", "南山区", "福田区", "西湖区", "滨江区", "朝阳区", "海淀区", "天河区", "鼓楼区",
             "武侯区", "工业园区", "鄞州区", "思明区", "越秀区", "江宁区"]
ROADS = ["人民路", "解放路", "中山路", "建设路", "长江路", "和平路", "新华路", "文化路", "胜利路", "青年路",
         "光明路", "朝阳路", "花园路", "幸福路", "东风路", "南京路"]


def addresses(rng: np.random.Generator, n: int) -> np.ndarray:
    """城市 区 路 号 栋 室: one per household."""
    city = rng.choice(np.array(CITIES), n)
    district = rng.choice(np.array(DISTRICTS), n)
    road = rng.choice(np.array(ROADS), n)
    parts = [city, "市", district, road, rng.integers(1, 999, n).astype(str), "号",
             rng.integers(1, 30, n).astype(str), "栋", rng.integers(101, 2899, n).astype(str), "室"]
    out = parts[0]
    for p in parts[1:]:
        out = np.char.add(out, p)
    return out


def own_accounts(gid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The customer's own account at another bank: stable per customer (masked)."""
    g = gid.astype(np.int64)
    if len(g) == 0:
        return np.array([], str), np.array([], str)
    prefix = np.array(["6222", "6217", "6228", "6230", "6214"])[(g * 7) % 5]
    tail = zfill(((g * 7919 + 17) % 10000).astype(str), 4)
    return np.char.add(np.char.add(prefix, "****"), tail), np.array(BANKS)[(g * 31 + 3) % len(BANKS)]
