"""Shared fixtures: a tiny labelled set written for the tests, and a model fitted on it;
and how many examples the property tests try.

A run that leaves the slow tests out (``-m "not slow"``) is the quick run a contributor
makes while working: its property tests try a tenth of their examples (hypothesis
profile ``quick``). The whole suite, as CI runs it, tries them all (profile ``full``).
``--hypothesis-profile full`` or ``quick`` chooses one for any run.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

#: Examples per property test before scaling: hypothesis's own default.
FULL_EXAMPLES = 100
settings.register_profile("full", max_examples=FULL_EXAMPLES)
settings.register_profile("quick", max_examples=FULL_EXAMPLES // 10)


def pytest_configure(config):
    chosen = config.getoption("hypothesis_profile", None)
    if chosen is None:
        quick = "not slow" in (config.getoption("markexpr", "") or "")
        settings.load_profile("quick" if quick else "full")


def examples(full: int) -> int:
    """The examples a property test tries: `full` in the full run, a share of them as
    the loaded profile says (a tenth in the quick run, never fewer than 10)."""
    share = settings.default.max_examples / FULL_EXAMPLES
    return full if share >= 1 else max(min(full, 10), round(full * share))

TECH = [
    "研究团队攻克芯片封装关键技术，获得发明专利十二项",
    "高新区新增高新技术企业三十家，研发投入同比增长",
    "实验室研制出新型储能材料，性能达到国际先进水平",
    "人工智能大模型在工业质检场景落地应用",
    "卫星发射成功，遥感数据将用于农业监测",
    "科技成果转化项目路演，九个项目与企业签约",
    "孵化器入驻企业累计获得知识产权七百余项",
    "新一代量子通信设备完成实地测试",
]
CONGRESS = [
    "市人大常委会召开第十二次会议，审议地方性法规草案",
    "人大代表走进联络站，听取群众意见建议",
    "县人大常委会开展食品安全法执法检查",
    "人大代表票决产生年度民生实事项目",
    "省人大常委会审查批准财政决算和审计工作报告",
    "区人大常委会任免一批国家机关工作人员",
    "人大代表提出议案建议一百二十件，均已办结",
    "市人大常委会就养老服务开展专题询问",
]
EDUCATION = [
    "中考报名工作开始，考生须在网上完成信息确认",
    "学校推行课后服务，学生可自愿参加兴趣社团",
    "高考首日考场秩序井然，考生陆续进入考点",
    "思政课教师集体备课，提升课堂教学质量",
    "幼儿园新学期招生计划公布，新增学位八百个",
    "职业学院学生在技能大赛中获得一等奖",
    "教师节表彰一批优秀班主任和乡村教师",
    "大学新生报到，迎新志愿者帮助学生办理入学手续",
]
TEXTS = TECH + CONGRESS + EDUCATION
LABELS = ["tech"] * len(TECH) + ["congress"] * len(CONGRESS) + ["education"] * len(EDUCATION)


@pytest.fixture(scope="session")
def tiny_data():
    return list(TEXTS), list(LABELS)


@pytest.fixture(scope="session")
def tiny_model(tiny_data):
    from newsclass import NewsClassifier

    return NewsClassifier(calibration_cv=3).fit(*tiny_data)
