"""Closed vocabularies shared by the case, the report and the knowledge base, defined once."""

from typing import Literal, get_args

Region = Literal["US", "EU", "CN", "JP"]
REGIONS: tuple[str, ...] = get_args(Region)
IhcScore = Literal["0", "1+", "2+", "3+"]
TumourSite = Literal["stomach", "gej", "oesophagus"]
OncotreeCode = Literal["STAD", "GEJ", "ESCA"]
Lauren = Literal["intestinal", "diffuse", "mixed", "unknown"]
MsiStatus = Literal["MSS", "MSI-H", "unknown"]
Specimen = Literal["biopsy", "resection", "cytology"]
TestSetting = Literal["diagnosis", "post_progression"]
CscoTier = Literal["high", "medium", "low", "none"]
AlterationKind = Literal["amp", "del", "mut", "loss", "over", "fusion", "p95"]
# Resistance mechanism classes; ncRNA axes also act through cell death and epigenetic
# networks, which no gene-level mechanism covers.
MechanismClass = Literal[
    "on_target",
    "bypass_receptor",
    "downstream",
    "cell_cycle",
    "emt",
    "metabolism",
    "immune_escape",
    "stemness",
    "heterogeneity",
]
NcrnaClass = Literal[MechanismClass, "cell_death", "epigenetic_network", "unspecified"]
# Adverse events a case reports and the dose rules of safety.yaml are written for.
AdverseEventKind = Literal[
    "ild",
    "neutropenia",
    "febrile_neutropenia",
    "thrombocytopenia",
    "lvef_decrease",
    "heart_failure",
    "proteinuria",
    "hypertension",
    "diarrhoea",
    "peripheral_neuropathy",
    "infusion_reaction",
    "immune_mediated",
    "bleeding",
    "gi_perforation",
    "arterial_thromboembolism",
    "surgery_planned",
]
# Organs of an immune-mediated reaction, as the KEYTRUDA and OPDIVO dose-modification tables
# have rows for them; "other" stands for every organ without a row of its own.
ImmuneOrgan = Literal[
    "pneumonitis", "colitis", "hepatitis", "endocrine", "nephritis", "skin", "myocarditis", "neurological", "other"
]
IMMUNE_ORGANS: tuple[str, ...] = get_args(ImmuneOrgan)
# Symptoms of an infusion reaction that the HERCEPTIN label's interrupt / discontinue rules name.
InfusionSymptom = Literal[
    "dyspnoea", "hypotension", "anaphylaxis", "angioedema", "interstitial_pneumonitis", "ards", "other"
]
INFUSION_SYMPTOMS: tuple[str, ...] = get_args(InfusionSymptom)
