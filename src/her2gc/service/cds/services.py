"""The two CDS Services and their discovery document (CDS Hooks 2.0, "Discovery").

Prefetch templates ask for what the FHIR mapping reads (docs/fhir.md): the patient, the
primary cancer, observations (HER2 IHC/ISH, PD-L1, MSI, ECOG, LVEF, claudin 18.2,
variants), the medication history and adverse events. They use only instance reads and
``patient=`` searches ("Prefetch query restrictions"); a hospital may narrow the
Observation search by code in its EHR's registration of the service.
"""

from __future__ import annotations

from dataclasses import dataclass

from her2gc.service.cds.models import Discovery, ServiceDescription

PATIENT_VIEW = "her2gc-patient-view"
ORDER_SIGN = "her2gc-order-sign"
EMBEDDED_CASE_KEY = "her2gcCase"

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "observations": "Observation?patient={{context.patientId}}",
    "medicationStatements": "MedicationStatement?patient={{context.patientId}}",
    "medicationAdministrations": "MedicationAdministration?patient={{context.patientId}}",
    "medicationRequests": "MedicationRequest?patient={{context.patientId}}",
    "adverseEvents": "AdverseEvent?subject={{context.patientId}}",
}

EXTENSION = {
    "org.her2gc.prefetch-case": (
        f"prefetch.{EMBEDDED_CASE_KEY} may carry the patient as a her2gc case (schema her2gc.case/1) "
        "instead of FHIR resources; it takes precedence over the other prefetch keys"
    )
}


@dataclass(frozen=True)
class CdsService:
    id: str
    hook: str
    title: str
    description: str


SERVICES = {
    PATIENT_VIEW: CdsService(
        id=PATIENT_VIEW,
        hook="patient-view",
        title="HER2 in gastric / GEJ adenocarcinoma",
        description=(
            "On opening the chart of a patient with gastric, gastro-oesophageal junction or oesophageal "
            "adenocarcinoma: the HER2 call, the leading options for the line of therapy being decided, "
            "and the most important caution, with a link to the full her2gc report."
        ),
    ),
    ORDER_SIGN: CdsService(
        id=ORDER_SIGN,
        hook="order-sign",
        title="HER2-directed and listed drugs at signing",
        description=(
            "When a MedicationRequest for a drug of the her2gc knowledge base is signed: checked against "
            "the patient's HER2 status, contraindications, dose-management rules for recorded adverse "
            "events, and the approval in the hospital's region; alternatives offered as suggestions."
        ),
    ),
}


def discovery() -> Discovery:
    return Discovery(
        services=[
            ServiceDescription(
                hook=s.hook,
                title=s.title,
                description=s.description,
                id=s.id,
                prefetch=dict(PREFETCH),
                extension=dict(EXTENSION),
            )
            for s in SERVICES.values()
        ]
    )
