"""fhir_codes.yaml: valid by its schema, every source and drug it names known to the
knowledge base, every local code it uses defined, no code mapped two ways."""

from __future__ import annotations

from collections import Counter
from typing import Any

from her2gc.kb.checks import _references
from her2gc.kb.schema_fhir import FhirCodes


def test_every_reference_is_known(codes: FhirCodes, kb: Any) -> None:
    known = {"source": kb.sources, "drug": kb.drugs, "gene": kb.genes, "regimen": kb.regimens, "trial": kb.trials}
    dangling = [
        f"{where}: {kind} '{ref}'" for kind, ref, where in _references(codes, "fhir_codes") if ref not in known[kind]
    ]
    assert not dangling, dangling


def test_local_codes_are_defined(codes: FhirCodes) -> None:
    used = [c.code for c in codes.observations if c.system == "local"] + [
        a.code for a in codes.answers if a.system == "local"
    ]
    used += [
        c.code
        for c in (*codes.specimens, *codes.stop_reasons, *codes.adverse_events, *codes.change_types)
        if c.system == "local"
    ]
    used += [m.code for m in codes.cancer.morphology if m.system == "local"]
    assert sorted(set(used) - set(codes.local.codes)) == []
    assert all(url.startswith(("http://", "https://")) for url in (codes.local.code_system, codes.local.extension_base))


def test_no_code_means_two_things(codes: FhirCodes) -> None:
    observations = Counter((c.system, c.code) for c in codes.observations)
    answers = Counter((a.field, a.system, a.code) for a in codes.answers)
    medications = Counter(
        key for m in codes.medications for key in [("rxnorm", c) for c in m.rxnorm] + [("atc", c) for c in m.atc]
    )
    for table in (observations, answers, medications):
        assert [key for key, count in table.items() if count > 1] == []
    assert len({m.drug for m in codes.medications}) == len(codes.medications)


def test_every_system_uri_is_distinct(codes: FhirCodes) -> None:
    uris = [uri.rstrip("/") for uris in codes.systems.values() for uri in uris]
    assert len(uris) == len(set(uris))


def test_the_codes_the_issue_names_are_mapped(codes: FhirCodes) -> None:
    """The interface's LOINC codes (Genomics Reporting IG 3.0.0, mCODE 4.0.0)."""
    wanted = {"18474-7": "her2_ihc", "49683-6": "her2_ish_ratio", "74860-8": "her2_signals_per_nucleus", "48676-1": "her2_interpretation",
              "85147-7": "pdl1", "81695-9": "msi", "89247-1": "ecog", "10230-1": "lvef", "69548-6": "variant"}  # fmt: skip
    assert {code: codes.observation_index[("loinc", code)].kind for code in wanted} == wanted
    roles = {
        "gene_studied": "48018-6",
        "protein_hgvs": "48005-3",
        "copy_number": "82155-3",
        "allele_frequency": "81258-6",
        "genomic_report": "51969-4",
    }
    assert {role: codes.components[role].code for role in roles} == roles
