"""Scenario tests of the HER2 gastric model, one per mechanism of seeds 000-002.

Each scenario names the alteration, the drug(s), the qualitative outcome the
seed text implies and the sentence it comes from. Nothing here is special-cased
in the code: the outcomes come from the network rules in her2_gastric.bnet.
"""

from __future__ import annotations

import pytest

from support import her2_model

SCENARIOS = [
    # (alterations, drugs, expected response, source, sentence)
    (
        [],
        ["trastuzumab"],
        "sensitive",
        "seed000",
        "曲妥珠单抗…靶向HER2胞外…结构域, 阻断其与其他受体的二聚化, 抑制PI3K/AKT信号通路, 从而减少肿瘤细胞增殖",
    ),
    (
        [("PIK3CA", "mut")],
        ["trastuzumab"],
        "resistant",
        "seed002 4.1.1",
        "PI3K/AKT/mTOR 通路可通过 HER2 非依赖性方式(如 PIK3CA 突变或 PTEN 缺失)持续激活",
    ),
    (
        [("PIK3CA", "mut")],
        ["trastuzumab", "alpelisib"],
        "sensitive",
        "seed001 off-target 1",
        "PI3K或MEK的单独抑制或与抗HER2疗法联合使用, 或可干扰这种旁路信号传导",
    ),
    (
        [("PTEN", "loss")],
        ["trastuzumab"],
        "resistant",
        "seed001 off-target 1 (s001r13)",
        "PTEN功能缺失会重新激活MAPK和PI3K信号通路, 从而降低肿瘤细胞对HER2靶向药物的敏感性",
    ),
    (
        [("KRAS", "mut")],
        ["trastuzumab"],
        "resistant",
        "seed001 off-target 1",
        "发现RAS和/或RAF基因存在新突变…这些突变在疾病进展时会激活MAPK和PI3K信号传导",
    ),
    (
        [("MET", "amp")],
        ["lapatinib"],
        "resistant",
        "seed001 off-target 2 (s001r15)",
        "MET的旁路激活会重新刺激HER2下游的信号通路, 从而解除HER2靶向药物对细胞的生长抑制",
    ),
    (
        [("MET", "amp")],
        ["lapatinib", "crizotinib"],
        "sensitive",
        "seed001 off-target 2 (s001r15)",
        "MET抑制剂和HER2靶向药物联合治疗, 可在体外和体内抑制获得性耐药细胞的生长",
    ),
    ([("EGFR", "amp")], ["trastuzumab"], "resistant", "seed001 off-target 2", "发现了新发EGFR或MET扩增"),
    (
        [("FGFR3", "over")],
        ["trastuzumab"],
        "resistant",
        "seed001 off-target 2 (s001r16)",
        "FGFR2或FGFR3表达增加与…HER2靶向治疗的反应不佳相关",
    ),
    (
        [("FGFR3", "over")],
        ["trastuzumab", "erdafitinib"],
        "sensitive",
        "seed001 off-target 2 (s001r16)",
        "在临床前模型中通过下调FGFR信号传导可恢复HER2靶向药物的敏感性",
    ),
    (
        [("KITLG", "over")],
        ["pyrotinib"],
        "resistant",
        "seed001 off-target 1 (s001r14)",
        "干细胞因子可结合酪氨酸激酶KIT并增强MAPK和PI3K信号传导…在对HER2靶向药物产生耐药性的细胞系中观察到干细胞因子水平上调",
    ),
    (
        [("KITLG", "over")],
        ["pyrotinib", "apatinib"],
        "sensitive",
        "s001r14 (title)",
        "Apatinib exhibits synergistic effect with pyrotinib and reverses acquired pyrotinib resistance … via stem cell factor/c-kit",
    ),
    (
        [("SRC", "mut")],
        ["lapatinib"],
        "resistant",
        "seed001 off-target 1",
        "在拉帕替尼耐药和曲妥珠单抗耐药的胃癌细胞系中还发现了SRC激活突变",
    ),
    (
        [("CCNE1", "amp")],
        ["trastuzumab"],
        "resistant",
        "seed001 off-target 3 (s001r17)",
        "HER2阳性G/GEJC患者同时伴有调节细胞周期基因(如CCNE1和CDK6)扩增, 则对HER2靶向治疗的疗效不佳",
    ),
    (
        [("CCNE1", "amp")],
        ["trastuzumab", "adavosertib"],
        "sensitive",
        "seed001 off-target 3 (s001r17)",
        "WEE1 inhibition reverses trastuzumab resistance in HER2-positive cancers",
    ),
    (
        [("YAP1", "over")],
        ["trastuzumab"],
        "resistant",
        "seed001 other pathways (s001r19)",
        "通过YAP1或WNT-TGFβ信号通路诱导上皮-间质转化",
    ),
    (
        [("YAP1", "over")],
        ["trastuzumab", "verteporfin"],
        "sensitive",
        "seed001 other pathways",
        "使用…YAP1-TEAD抑制剂维替泊芬破坏YAP1表达和/或活性可降低…曲妥珠单抗耐药的…细胞系的生长",
    ),
    (
        [("MUC4", "over")],
        ["trastuzumab"],
        "resistant",
        "seed001 on-target 2 (s001r8)",
        "细胞表面粘蛋白…的上调…会干扰曲妥珠单抗与其结合, 从而会影响疗效",
    ),
    (
        [("MUC4", "over")],
        ["trastuzumab deruxtecan"],
        "resistant",
        "issue 4: payload delivery needs an accessible ECD",
        "HER2靶点丢失或掩蔽 (epitope masking removes ADC binding)",
    ),
    (
        [("MUC4", "over")],
        ["lapatinib"],
        "sensitive",
        "seed002 3.2.4",
        "拉帕替尼…结合受体胞内结构域中的 ATP 结合位点 (acts inside the cell, not on the masked ECD)",
    ),
    (
        [("ERBB2", "p95")],
        ["trastuzumab"],
        "resistant",
        "seed002 4.1.3 (s002r60)",
        "HER2 剪切变体(如 p95HER2)因缺乏曲妥珠单抗结合所需的胞外域, 可能直接导致耐药",
    ),
    (
        [("ERBB2", "p95")],
        ["trastuzumab deruxtecan"],
        "resistant",
        "seed002 4.1.3",
        "p95HER2 lacks the extracellular domain the ADC binds, so the payload is not delivered",
    ),
    (
        [("ERBB2", "p95")],
        ["lapatinib"],
        "sensitive",
        "seed002 3.2.4",
        "拉帕替尼…阻断 HER1 与 HER2 的酪氨酸激酶活性 (the kinase of p95HER2 is intact)",
    ),
    (
        [("ERBB2", "mut")],
        ["lapatinib"],
        "resistant",
        "seed001 on-target 2 (s001r10)",
        "HER2蛋白的酪氨酸激酶结构域中的二次突变会降低对HER2 TKI的疗效并导致获得性耐药",
    ),
    (
        [("PIK3CA", "mut")],
        ["trastuzumab deruxtecan"],
        "sensitive",
        "seed002 5.1",
        "ADC…将细胞毒性药物精准输送至肿瘤细胞 (the payload acts whatever the downstream signalling)",
    ),
    (
        [("NRG1", "over")],
        ["trastuzumab"],
        "resistant",
        "seed000 / s002r63",
        "肿瘤通过激活EGFR、MET、HER3等替代受体…维持生存",
    ),
    (
        [("NRG1", "over")],
        ["trastuzumab", "pertuzumab"],
        "sensitive",
        "seed000",
        "曲妥珠单抗和帕妥珠单抗分别靶向HER2胞外不同结构域, 阻断其与其他受体的二聚化",
    ),
    (
        [("NRG1", "over")],
        ["zanidatamab"],
        "sensitive",
        "seed002 5.1 (s002r72)",
        "Zanidatamab 通过同时靶向 HER2 的 ECD4 和 ECD2 结构域, 抑制 HER2 异源二聚化",
    ),
]


@pytest.mark.parametrize(("alterations", "drugs", "expected", "source", "sentence"), SCENARIOS)
def test_scenario(
    alterations: list[tuple[str, str]], drugs: list[str], expected: str, source: str, sentence: str
) -> None:
    prediction = her2_model().predict(alterations, drugs)
    assert prediction.untreated_proliferating
    assert prediction.response == expected, f"{source}: {sentence}"
    assert prediction.label == "model hypothesis" and prediction.evidence_tier == "model_prediction"


def test_trastuzumab_induces_p27_and_adcc() -> None:
    """seed000: 曲妥珠单抗还能诱导细胞周期抑制蛋白p27上调…并通过激活抗体依赖性细胞毒性反应促进肿瘤细胞凋亡."""
    from her2gc.network.engine import trap_space_attractors
    from support import her2_model

    fixed = {**her2_model().annotations.initial_state, **her2_model().panel["trastuzumab"]}
    (attractor,) = trap_space_attractors(her2_model().model, fixed)
    assert attractor["CDKN1B"] == 1 and attractor["ADCC"] == 1 and attractor["Apoptosis"] == 1


def test_trastuzumab_raises_pd_l1_and_pembrolizumab_restores_t_cells() -> None:
    """seed002 3.1.2 (s002r31): 曲妥珠单抗治疗可能会增加 PD-L1 的肿瘤表达; anti-PD-1 releases T cells."""
    alone = her2_model().predict([], ["trastuzumab"])
    combined = her2_model().predict([], ["trastuzumab", "pembrolizumab"])
    assert combined.readouts["Immune_escape"] == 0.0
    assert combined.score >= alone.score


def test_glutamine_m2_macrophages_block_immune_attack() -> None:
    """seed001 (s001r20): GLS1…通过巨噬细胞的M2极化促进免疫抑制性TME."""
    assert her2_model().predict([("GLS", "over")], ["trastuzumab", "pembrolizumab"]).readouts["Immune_escape"] == 1.0


def test_antiangiogenic_drugs_switch_off_angiogenesis() -> None:
    """seed002 4.1.4 / 5.2: VEGF/VEGFR-2 通路是重要耐药靶点."""
    assert her2_model().predict([], ["ramucirumab"]).readouts["Angiogenesis"] == 0.0


def test_her2_loss_is_flagged_as_uninformative() -> None:
    prediction = her2_model().predict([("ERBB2", "loss")], ["trastuzumab"])
    assert not prediction.untreated_proliferating and prediction.cautions
