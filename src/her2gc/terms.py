"""Closed vocabularies shared by the case, the report and the knowledge base, defined once."""

from typing import Literal, get_args

Region = Literal["US", "EU", "CN", "JP"]
REGIONS: tuple[str, ...] = get_args(Region)
IhcScore = Literal["0", "1+", "2+", "3+"]
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
