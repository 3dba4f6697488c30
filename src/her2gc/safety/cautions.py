"""The safety cautions of an option, from ``safety.yaml``: what the sources print about
the risks its agents bring, alone and together.

* ``drug_risks``: the figures of a drug's key risk (T-DXd ILD/pneumonitis: grade split,
  rates by tumour type, monitoring; Tao & Huang 2026, section 3.2.1) on every option that
  contains the drug;
* ``combination_cautions``: figures for agents combined with overlapping toxicity
  (DESTINY-Gastric03, HERIZON-GEA-01, the zanidatamab boxed warning, RCTS), on every
  option for which all of the entry's conditions hold;
* ``no_rule_in_sources`` entries that cover every event of a drug: the option says that
  no source gives its dose rules, with the toxicities the sources list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from her2gc.kb.schema_rules import CombinationCaution, SafetyRules
from her2gc.report import OptionCaution


def combination_applies(
    entry: CombinationCaution,
    drugs: Sequence[str],
    chemotherapy_options: Sequence[Sequence[str]],
    drug_classes: Mapping[str, str],
) -> bool:
    """Whether every condition the entry gives holds for an option.

    Its agents include all of ``drugs_all``; one of its agents or of its accepted chemotherapy
    backbones is in ``chemotherapy_any``; one of its agents has a class in ``drug_classes_any``;
    it has at least ``min_drugs`` agents, counting the smallest backbone.
    """
    agents = set(drugs)
    backbone_agents = {d for backbone in chemotherapy_options for d in backbone}
    if not set(entry.drugs_all) <= agents:
        return False
    if entry.chemotherapy_any and not set(entry.chemotherapy_any) & (agents | backbone_agents):
        return False
    if entry.drug_classes_any and not any(drug_classes.get(d) in entry.drug_classes_any for d in drugs):
        return False
    smallest_backbone = min((len(set(b) - agents) for b in chemotherapy_options), default=0)
    return entry.min_drugs is None or len(agents) + smallest_backbone >= entry.min_drugs


def safety_cautions(
    drugs: Sequence[str],
    chemotherapy_options: Sequence[Sequence[str]],
    safety: SafetyRules,
    drug_classes: Mapping[str, str],
) -> list[OptionCaution]:
    """The safety cautions of one option (its agents and accepted backbones), in file order:
    drug risks, then combinations, then drugs whose dose rules no source gives."""
    agents = set(drugs)
    cautions = [
        OptionCaution(id=risk.id, kind="safety", text=risk.text, confirmed=risk.confirmed, sources=list(risk.sources))
        for risk in safety.drug_risks
        if risk.drug in agents
    ]
    cautions += [
        OptionCaution(
            id=entry.id, kind="safety", text=entry.text, confirmed=entry.confirmed, sources=list(entry.sources)
        )
        for entry in safety.combination_cautions
        if combination_applies(entry, drugs, chemotherapy_options, drug_classes)
    ]
    cautions += [
        OptionCaution(
            id=absence.id, kind="safety", text=absence.text, confirmed=absence.confirmed, sources=list(absence.sources)
        )
        for absence in safety.no_rule_in_sources
        if absence.drug in agents and "any" in absence.events
    ]
    return cautions
