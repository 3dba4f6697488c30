"""Protein changes in every common spelling, to one form: HGVS short, ``p.H1047R``.

Accepted: one- or three-letter amino acids (``H1047R``, ``p.His1047Arg``), with or without
``p.``, in parentheses (predicted, ``p.(His1047Arg)``), behind a protein accession
(``ENSP00000263967:p.His1047Arg``, as VEP writes HGVSp), stop as ``*``, ``Ter`` or ``X``
(``R213X`` -> ``p.R213*``), frameshifts (``p.L1234Ffs*5``, ``fsX5``, ``fsTer5``),
deletions, duplications, insertions and delins (``p.E746_A750del``), extensions, the
MAF splice notation (``p.X1234_splice``) and ``p.=`` / ``p.?`` / ``p.0``, and the
Oncotator forms of Firehose MAFs (``p.SG302fs`` -> ``p.S302fs``, ``p.RD45del`` ->
``p.R45_D46del``, ``p.108_109LL>L`` -> ``p.L108_L109delinsL``).
Source of the notation: HGVS nomenclature (varnomen.hgvs.org); MAF ``HGVSp_Short``
(GDC MAF specification).

This module holds the rules for one value; :mod:`her2gc.readers.protein` applies the same
rules to a whole column (pyarrow compute, no Python loop), and a test checks that both
agree. Everything that compares protein changes (readers, the resistance index, the
ctDNA step) uses these functions.
"""

from __future__ import annotations

import re

# Capitalised three-letter codes, as HGVS writes them; replaced as literals in this order.
THREE_TO_ONE: tuple[tuple[str, str], ...] = (
    ("Ala", "A"), ("Arg", "R"), ("Asn", "N"), ("Asp", "D"), ("Cys", "C"), ("Gln", "Q"),
    ("Glu", "E"), ("Gly", "G"), ("His", "H"), ("Ile", "I"), ("Leu", "L"), ("Lys", "K"),
    ("Met", "M"), ("Phe", "F"), ("Pro", "P"), ("Ser", "S"), ("Thr", "T"), ("Trp", "W"),
    ("Tyr", "Y"), ("Val", "V"), ("Sec", "U"), ("Pyl", "O"), ("Ter", "*"), ("Xaa", "X"),
)  # fmt: skip

ACCESSION_PATTERN = r"^[^:]*:"  # "ENSP00000263967.3:p.His1047Arg" -> "p.His1047Arg"
PREFIX_PATTERN = r"^[pP]\."
PARENTHESES_PATTERN = r"^\((.*)\)$"
LOWER_SUBSTITUTION_PATTERN = r"^[a-z][0-9]+[a-z*]$"  # "h1047r" (spreadsheets) -> "H1047R"
X_STOP_PATTERN = r"^([A-Z*][0-9]+)X$"  # "R213X": X as the old stop symbol
FS_X_PATTERN = r"fsX"
ONCOTATOR_FS_PATTERN = r"^([A-Z*])[A-Z*]+([0-9]+)fs"  # "SG302fs" -> "S302fs"
NOT_FINAL_PATTERN = r"[0-9]X$|fsX"  # canonical by the grammar but still rewritten (X as stop)

_AA = r"[ACDEFGHIKLMNPQRSTVWYUOX*]"
_POS = rf"{_AA}[0-9]+"
_SEQ = rf"{_AA}+"
CANONICAL = re.compile(
    "^p\\.(?:"
    + "|".join(
        [
            rf"{_POS}(?:{_AA}|=|\?)",  # substitution, synonymous, unknown
            rf"{_POS}{_AA}?fs(?:\*(?:[0-9]+|\?))?",  # frameshift
            rf"{_POS}(?:_{_POS})?(?:del|dup)(?:{_SEQ})?",  # deletion, duplication
            rf"{_POS}(?:_{_POS})?(?:ins|delins){_SEQ}",  # insertion, delins
            rf"{_POS}{_AA}?ext(?:[-*]?[0-9]+|\*\?|\?)?",  # extension
            r"X[0-9]+_splice",  # MAF splice-site notation
            rf"[0-9]+_[0-9]+ins{_SEQ}",  # Oncotator insertion without flanking residues
            r"=|\?|0\??",
        ]
    )
    + ")$"
)


def normalise_protein_change(text: str) -> str:
    """``p.H1047R`` form of one protein change; ValueError if it is not one."""
    if not isinstance(text, str):
        # ValueError, not TypeError: callers treat every unreadable value alike (junk -> ValueError).
        raise ValueError(f"protein change must be text, not {type(text).__name__}")
    value = text.strip()
    if ":" in value:
        value = re.sub(ACCESSION_PATTERN, "", value, count=1)
    value = re.sub(PREFIX_PATTERN, "", value, count=1)
    value = re.sub(PARENTHESES_PATTERN, r"\1", value, count=1)
    if re.fullmatch(LOWER_SUBSTITUTION_PATTERN, value):
        value = value.upper()
    for three, one in THREE_TO_ONE:
        value = value.replace(three, one)
    value = re.sub(X_STOP_PATTERN, r"\1*", value, count=1)
    value = value.replace(FS_X_PATTERN, "fs*")
    result = "p." + _oncotator(value, text)
    if not CANONICAL.fullmatch(result):
        raise ValueError(f"'{text}' is not a protein change (expected e.g. p.H1047R, H1047R, p.His1047Arg)")
    return result


def _oncotator(value: str, text: str) -> str:
    """Firehose/Oncotator spellings to HGVS; other values unchanged."""
    found = re.fullmatch(r"([A-Z*]{2,})([0-9]+)fs(.*)", value)
    if found:
        return f"{found.group(1)[0]}{found.group(2)}fs{found.group(3)}"
    found = re.fullmatch(r"([A-Z]{2,})([0-9]+)del", value)
    if found:
        ref, start = found.group(1), int(found.group(2))
        return f"{ref[0]}{start}_{ref[-1]}{start + len(ref) - 1}del"
    found = re.fullmatch(r"([0-9]+)_([0-9]+)([A-Z*]+)>([A-Z*]+)", value)
    if found:
        start, end, ref, alt = int(found.group(1)), int(found.group(2)), found.group(3), found.group(4)
        if len(ref) != end - start + 1:
            raise ValueError(f"'{text}': {len(ref)} reference residue(s) for positions {start}-{end}")
        span = f"{ref[0]}{start}" if start == end else f"{ref[0]}{start}_{ref[-1]}{end}"
        return f"{span}delins{alt}"
    return value


RESIDUE_PATTERN = r"^p\.(?P<ref>[A-Z])(?P<pos>[0-9]+)"


def residue(change: str) -> str | None:
    """First affected residue (``H1047`` of ``p.H1047R``, ``E746`` of ``p.E746_A750del``) or None."""
    found = re.match(RESIDUE_PATTERN, change)
    return f"{found.group(1)}{found.group(2)}" if found else None


# Three-letter codes in any case, for the lenient form below.
_THREE_ANY_CASE = re.compile("|".join(three for three, _ in THREE_TO_ONE), flags=re.IGNORECASE)
_ONE_BY_FOLD = {three.lower(): one for three, one in THREE_TO_ONE}


def normalise_protein_change_lenient(change: str | None) -> str | None:
    """The canonical form when the text is a protein change, else a folded ``p.`` form.

    For matching findings against knowledge-base lists, where a spelling outside the
    grammar (a free-text note, odd capitals) must still meet its twin rather than fail.
    """
    if change is None or not change.strip():
        return None
    try:
        return normalise_protein_change(change)
    except ValueError:
        pass
    text = change.strip()
    if text[:2].lower() == "p.":
        text = text[2:]
    text = text.strip("()")
    text = _THREE_ANY_CASE.sub(lambda match: _ONE_BY_FOLD[match.group(0).lower()], text)
    return f"p.{text.upper()}" if re.fullmatch(r"[A-Za-z*]\d+[A-Za-z*=]", text) else f"p.{text}"
