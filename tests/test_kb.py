"""The knowledge base: `kb check` / `kb show`, cross-references, and every trial number
traceable to the seed or FACTS.md text."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from her2gc.cli import main
from her2gc.kb.checks import dangling_references
from her2gc.kb.loader import load_kb_from
from her2gc.kb.yamlio import DATA_DIR


def test_packaged_kb_has_no_dangling_reference(kb: Any) -> None:
    assert dangling_references(kb) == []


def test_kb_check_command(capsys: pytest.CaptureFixture[str], kb: Any) -> None:
    assert main(["kb", "check"]) == 0
    out = capsys.readouterr().out
    assert "ok: knowledge base valid" in out and kb.sha256 in out


@pytest.mark.parametrize(
    ("kind", "entry_id", "fragment"),
    [
        ("trial", "DESTINY-Gastric04", "14.7"),
        ("drug", "T-DXd", "trastuzumab deruxtecan"),
        ("drug", "RC48", "disitamab vedotin"),
        ("regimen", "t-dxd", "trastuzumab deruxtecan"),
        ("mechanism", "met_amplification", "MET"),
        ("ncrna", "mir_21", "PTEN"),
        ("source", "s002r29", "ToGA"),
        ("gene", "ERBB2", "HGNC:3430"),
    ],
)
def test_kb_show(capsys: pytest.CaptureFixture[str], kind: str, entry_id: str, fragment: str) -> None:
    assert main(["kb", "show", kind, entry_id]) == 0
    assert fragment.lower() in capsys.readouterr().out.lower()


def test_kb_show_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "show", "trial", "NO-SUCH-TRIAL"]) == 2
    assert "NO-SUCH-TRIAL" in capsys.readouterr().err


def test_dangling_reference_fails_the_check(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    regimens = data / "regimens.yaml"
    regimens.write_text(regimens.read_text().replace("drugs: [trastuzumab]", "drugs: [trastuzumabb]", 1))
    with pytest.raises(Exception, match=r"dangling|unknown drug"):
        load_kb_from(data)


def _number_texts(value: float) -> set[str]:
    """How a reported number can be printed: 0.70 -> {'0.7', '0.70', '0.700'}, 11.0 -> {'11', '11.0'}."""
    # Only paddings with trailing zeros (never roundings): 0.343 must be printed as 0.343.
    texts = {f"{value:g}", repr(value)} | {
        t for t in (f"{value:.1f}", f"{value:.2f}", f"{value:.3f}") if float(t) == value
    }
    if float(value).is_integer():
        texts.add(str(int(value)))
    return texts


def test_every_trial_number_is_in_the_sources(kb: Any, shared_data: Path) -> None:
    shared = shared_data.parent
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in sorted((shared / "seeds").glob("*.txt")))
    corpus += (shared / "FACTS.md").read_text(encoding="utf-8")
    numbers = set(re.findall(r"\d+(?:\.\d+)?", corpus))
    missing = []
    for trial in kb.trials.values():
        for result in trial.results:
            # A figure read in a primary publication or label stands in the note of its source
            # entry (the record of what was read); the rest must stand in the reviews.
            read = set(
                re.findall(
                    r"\d+(?:\.\d+)?", " ".join(kb.sources[s].note or "" for s in result.sources if s in kb.sources)
                )
            )
            for value in (result.value, result.ci_low, result.ci_high):
                if value is not None and not (_number_texts(value) & (numbers | read)):
                    missing.append(f"{trial.id} {result.endpoint} {value}")
    assert not missing, f"numbers found neither in the reviews nor with a primary source: {missing}"
