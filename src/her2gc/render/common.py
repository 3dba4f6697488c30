"""Pieces every rendering shares."""

from __future__ import annotations

from her2gc.report import Report


def her2_line(report: Report) -> str:
    her2 = report.her2
    parts = [f"HER2 {her2.binary.upper()}", f"CSCO tier: {her2.csco_tier}"]
    if her2.ihc_score:
        parts.append(f"IHC {her2.ihc_score}")
    parts.append(f"ISH {her2.ish.replace('_', ' ')}")
    flags = [
        name
        for name, on in (
            ("heterogeneous", her2.heterogeneous),
            ("HER2 LOSS after therapy", her2.loss_after_therapy),
            ("NGS discordant", her2.ngs_discordant),
        )
        if on
    ]
    return " | ".join(parts + flags)
