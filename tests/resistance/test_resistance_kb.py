"""The resistance knowledge files: schema, cross-references, the level vocabulary and
its mapping, the alteration index, and the cautions options receive."""

from __future__ import annotations

import shutil
import time
import typing
from pathlib import Path

import pytest
import yaml

from her2gc.case import AlterationKind as CaseAlterationKind
from her2gc.errors import KnowledgeBaseError
from her2gc.kb.schema import Escat
from her2gc.kb.schema_resistance import (
    AlterationKind,
    GeneIndicator,
    ResistanceKnowledge,
    build_resistance_knowledge,
)
from her2gc.kb.yamlio import DATA_DIR
from her2gc.report import MechanismFinding, ResistanceSection
from her2gc.resistance import cautions_for_regimen, mechanism_ids_for

# The ncRNAs issue 3 names from seeds 003 and 000, as a reader would write them.
SEED_NCRNAS = [
    "miR-542-3p",
    "miR-21",
    "miR-221",
    "HOTAIR",
    "circVDAC3",
    "miR-30b",
    "miR-135b-5p",
    "miR-200c",
    "MALAT1",
    "lncATB",
    "miR-141-3p",
    "miR-375",
    "miR-128-3p",
    "miR-30a-5p",
    "miR-770-5p",
    "miR-205-5p",
    "miR-122-5p",
    "ZNF649-AS1",
    "AGAP2-AS1",
    "UCA1",
    "HOTAIR/miR-330/ERBB4",
    "LINC00589",
    "circ0001598",
    "circ-β-TrCP",
    "miR-148a-3p",
    "miR-301a-3p",
]
MECHANISM_CLASSES = {
    "on_target",
    "bypass_receptor",
    "downstream",
    "cell_cycle",
    "emt",
    "metabolism",
    "immune_escape",
    "stemness",
    "heterogeneity",
}


def _ids(pattern: str, key: str) -> set[str]:
    return {str(e[key]) for p in DATA_DIR.glob(pattern) for e in (yaml.safe_load(p.read_text(encoding="utf-8")) or [])}


def _walk(value: object, field: str) -> typing.Iterator[str]:
    """Every string under a field of this name anywhere in a dumped model."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == field:
                yield from ([item] if isinstance(item, str) else [s for s in item if isinstance(s, str)])
            else:
                yield from _walk(item, field)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, field)


def _entries(rk: ResistanceKnowledge) -> list[object]:
    return (
        [m.model_dump() for m in rk.mechanisms]
        + [n.model_dump() for n in rk.ncrna]
        + [rk.ctdna_patterns.model_dump(), rk.evidence_levels.model_dump()]
    )


def test_counts_and_coverage(rk: ResistanceKnowledge) -> None:
    assert len(rk.mechanisms) >= 30
    assert {m.class_ for m in rk.mechanisms} == MECHANISM_CLASSES
    assert len(rk.ncrna) >= 24
    assert all(m.seed_quote and m.sources for m in rk.mechanisms)


@pytest.mark.parametrize("name", SEED_NCRNAS)
def test_every_seed_ncrna_is_known(rk: ResistanceKnowledge, name: str) -> None:
    from her2gc.kb.resistance_index import fold_ncrna_name

    entry = rk.ncrna_by_name[fold_ncrna_name(name)]
    assert entry.evidence_setting == "preclinical" and entry.tumour_note


def test_referenced_ids_exist() -> None:
    """Sources, drugs and genes the resistance files name exist in the other data files."""
    rk = build_resistance_knowledge(DATA_DIR)
    sources, drugs, genes = _ids("sources*.yaml", "id"), _ids("drugs*.yaml", "id"), _ids("genes.yaml", "symbol")
    dumped = _entries(rk)
    assert set(_walk(dumped, "sources")) - sources == set()
    assert set(_walk(dumped, "drugs")) - drugs == set()
    assert set(_walk(dumped, "gene")) - genes == set()


def test_alteration_kinds_match_the_case_model() -> None:
    assert typing.get_args(AlterationKind) == typing.get_args(CaseAlterationKind)


def test_level_vocabulary_and_mapping(rk: ResistanceKnowledge) -> None:
    levels = rk.evidence_levels
    assert [r.level for r in levels.escat] == list(typing.get_args(Escat))
    assert {r.level for r in levels.oncokb} >= {"1", "2", "3A", "3B", "4", "R1", "R2"}
    assert [r.level for r in levels.civic] == ["A", "B", "C", "D", "E"]
    assert [r.level for r in levels.resistance_levels] == ["R1", "R2", "R3", "hypothetical"]
    assert levels.oncokb_level_for("I-A") == "1"  # FACTS.md: ERBB2 amp is OncoKB level 1 for T-DXd in OG cancer
    assert levels.amp_tier_for("IV") == "Tier II, level D"
    assert levels.mapping_confirmed is False
    with pytest.raises(KeyError):
        levels.oncokb_level_for("VI")


def test_no_r1_or_r2_without_a_source(rk: ResistanceKnowledge) -> None:
    """FACTS.md: OncoKB lists no R1/R2 for HER2-pathway resistance in oesophagogastric cancer."""
    assert all(m.resistance_level in ("R3", "hypothetical") for m in rk.mechanisms)
    preclinical = [m for m in rk.mechanisms if m.evidence_setting == "preclinical"]
    assert all(m.resistance_level == "hypothetical" for m in preclinical)


def test_seed_named_strategies_are_present(rk: ResistanceKnowledge) -> None:
    strategies = {s.id: s for m in rk.mechanisms for s in m.strategies}
    for strategy_id in (
        "met_inhibitor_plus_anti_her2",
        "fgfr_inhibition_plus_anti_her2",
        "pi3k_or_mek_inhibition_with_anti_her2",
        "adavosertib_plus_adc",
        "parp_and_atm_inhibition",
        "verteporfin_yap1_tead",
        "icg_001_wnt_inhibition",
        "trastuzumab_plus_tvb_3166",
        "apatinib_plus_pyrotinib",
        "pd1_blockade_with_trastuzumab_chemotherapy",
        "cd47_blockade",
        "bystander_adc",
        "second_generation_adc_her2_low",
    ):
        assert strategy_id in strategies
    assert strategies["pd1_blockade_with_trastuzumab_chemotherapy"].status == "approved"
    assert strategies["verteporfin_yap1_tead"].status == "preclinical"


@pytest.mark.parametrize(
    ("gene", "kind", "change", "expected"),
    [
        ("MET", "amp", None, ["met_amplification"]),
        ("PIK3CA", "mut", "p.H1047R", ["pik3ca_activation"]),
        ("PIK3CA", "mut", "p.Glu545Lys", ["pik3ca_activation"]),
        ("PIK3CA", "mut", "E542K", ["pik3ca_activation"]),
        ("PIK3CA", "mut", "p.H1047*", []),
        ("KRAS", "mut", "p.G12D", ["ras_raf_activation"]),
        ("KRAS", "amp", None, ["ras_raf_activation"]),
        ("PTEN", "mut", "p.R130fs", ["pten_loss"]),
        ("ERBB2", "mut", "p.L755S", ["erbb2_kinase_domain_mutation"]),
        ("ERBB2", "mut", "p.S310F", []),
        ("ERBB2", "p95", None, ["p95her2"]),
        ("ERBB2", "amp", None, []),
        ("CCNE1", "amp", None, ["ccne1_amplification"]),
        ("TP53", "mut", "p.R273H", []),
    ],
)
def test_mechanism_ids_for(
    rk: ResistanceKnowledge, gene: str, kind: str, change: str | None, expected: list[str]
) -> None:
    assert mechanism_ids_for(gene, kind, change, rk) == expected


def test_lookup_is_fast_enough_for_a_cohort_maf(rk: ResistanceKnowledge) -> None:
    rows = [("PIK3CA", "mut", f"p.H{1000 + i % 200}R") for i in range(178_000)]
    start = time.perf_counter()
    for gene, kind, change in rows:
        mechanism_ids_for(gene, kind, change, rk)
    assert time.perf_counter() - start < 2.0


def _section(*findings: MechanismFinding) -> ResistanceSection:
    return ResistanceSection(mechanisms=list(findings))


def test_cautions_start_with_the_mechanism_id() -> None:
    finding = MechanismFinding(
        id="met_amplification",
        name="MET",
        class_="bypass_receptor",
        alterations=["MET amp"],
        level="R3",
        evidence_setting="clinical_gastric",
        affects=["trastuzumab", "adc"],
    )
    cautions = cautions_for_regimen(["trastuzumab", "capecitabine"], {}, _section(finding))
    assert len(cautions) == 1 and cautions[0].id == "met_amplification" and "capecitabine" not in cautions[0].text
    by_class = cautions_for_regimen(["disitamab vedotin"], {"disitamab vedotin": "adc"}, _section(finding))
    assert by_class and by_class[0].id == "met_amplification"
    assert cautions_for_regimen(["ramucirumab"], {"ramucirumab": "antiangiogenic"}, _section(finding)) == []


def _broken(tmp_path: Path, file: str, old: str, new: str) -> Path:
    for path in DATA_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    target = tmp_path / file
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("mechanisms.yaml", "resistance_level: R3", "resistance_level: R9", "unknown resistance_level"),
        ("mechanisms.yaml", "{ncrna: mir_375, direction: down}", "{ncrna: mir_999, direction: down}", "unknown ncrna"),
        (
            "mechanisms.yaml",
            "{ncrna: mir_21, direction: up}",
            "{ncrna: mir_21, direction: down}",
            "causes resistance when up",
        ),
        ("mechanisms.yaml", "actions: [retest_her2_on_new_biopsy]", "actions: [no_such_action]", "unknown action"),
        ("mechanisms.yaml", "status: preclinical", "status: maybe", "status"),
        ("ncrna.yaml", "direction_basis: not_stated", "direction_basis: stated", "resistance_direction is null"),
    ],
)
def test_invalid_data_is_refused(tmp_path: Path, file: str, old: str, new: str, message: str) -> None:
    with pytest.raises(KnowledgeBaseError, match=message):
        build_resistance_knowledge(_broken(tmp_path, file, old, new))


def test_gene_indicators_for_mutations_name_their_changes(rk: ResistanceKnowledge) -> None:
    for mechanism in rk.mechanisms:
        for indicator in mechanism.indicators:
            if isinstance(indicator, GeneIndicator) and "mut" in indicator.kinds:
                assert indicator.protein_changes or indicator.residues or indicator.any_protein_change, mechanism.id
