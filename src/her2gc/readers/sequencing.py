"""What to read besides the case: the sequencing files and how to read them.

One object, :class:`SequencingInputs`, is what the command line builds from its options,
what a cohort row or a service request carries, and what the readers receive, so the
same nine settings are never passed one by one.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict

from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.readers.seg import Thresholds


class SequencingInputs(BaseModel):
    """Sequencing files of one patient (or a multi-sample file with ``sample``) and their settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    maf: Path | None = None
    vcf: Path | None = None
    cna: Path | None = None
    seg: Path | None = None
    ctdna: Path | None = None
    sample: str | None = None
    build: str = "GRCh37"
    cn_method: str | None = None  # checked by Thresholds.default, with its message
    amp_threshold: float | None = None
    del_threshold: float | None = None

    @property
    def alteration_files(self) -> bool:
        return any(path is not None for path in (self.maf, self.vcf, self.cna, self.seg))

    @property
    def any_file(self) -> bool:
        return self.alteration_files or self.ctdna is not None

    def thresholds(self, genomics: GenomicsKnowledge) -> Thresholds:
        """How segments become calls: the options given, else ``copy_number.yaml``'s defaults."""
        return Thresholds.default(
            genomics, method=self.cn_method, amp_threshold=self.amp_threshold, del_threshold=self.del_threshold
        )
