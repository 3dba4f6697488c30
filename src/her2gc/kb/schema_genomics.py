"""Schemas of the genomics files the sequencing readers use: ``hotspots.yaml``,
``variant_classes.yaml`` and ``copy_number.yaml``. The readers take their values
from these files; ``her2gc kb check`` validates them like every other file."""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string again at import, which costs start-up time on every command.
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Entry(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", defer_build=True, validate_by_name=True, validate_by_alias=True
    )


class Hotspot(_Entry):
    gene: str
    residues: list[str] = Field(default_factory=list, description="reference residue + position, e.g. H1047")
    changes: list[str] = Field(default_factory=list, description="exact non-missense hotspot changes, p. form")
    note: str | None = None
    sources: list[str] = Field(min_length=1)


class Terms(_Entry):
    maf: list[str] = Field(default_factory=list, description="MAF Variant_Classification values")
    so: list[str] = Field(default_factory=list, description="Sequence Ontology consequence terms (VEP, SnpEff)")


class VariantClasses(_Entry):
    protein_altering: dict[Literal["truncating", "missense", "inframe", "fusion"], Terms]
    not_protein_altering: Terms
    sources: list[str] = Field(min_length=1)


class ArmRelativeRule(_Entry):
    noise_log2: float = Field(ge=0)


class FixedRule(_Entry):
    amp_log2: float
    del_log2: float


class DiscreteCodes(_Entry):
    amp: list[float]
    deletion: list[float] = Field(alias="del")
    low_level: list[float]


class CopyNumberRules(_Entry):
    default_method: Literal["arm_relative", "fixed"]
    arm_relative: ArmRelativeRule
    fixed: FixedRule
    ploidy: float = Field(gt=0)
    discrete: DiscreteCodes
    centromeres: dict[Literal["GRCh37", "GRCh38"], dict[str, int]]
    sources: list[str] = Field(min_length=1)
