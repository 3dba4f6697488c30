"""The inputs that once broke her2gc (../shared/reliability), each doing what its table says:
exit 2 and one line of at most ~300 characters naming the file and the field or line, or
read in full; never an internal error, a traceback or rows lost without a count."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from her2gc.cli import main

ROOT = Path(__file__).resolve().parents[1]
REPRO = ROOT.parent / "shared" / "reliability" / "repro"
if not REPRO.is_dir():
    REPRO = Path("/work/shared/reliability/repro")
CASE = ROOT / "examples" / "sequencing" / "case_without_sequencing.yaml"

# (file, command, expected exit code, a fragment the one line must contain), from the README's table.
REFUSED = [
    ("c1_deep.json", ["evaluate"], "nested deeper"),
    ("c2_corrupt.yaml.gz", ["evaluate"], "not a valid gzip file"),
    ("c3_bigint.yaml", ["evaluate"], "digits"),
    ("c4_noregion.yaml", ["evaluate"], "c4_noregion.yaml"),
    ("c5_dupkeys.yaml", ["evaluate"], "duplicate key 'region'"),
    ("c6_lax.yaml", ["evaluate"], "case.ecog: a number is expected, not true/false"),
    ("c7_laughs_region.yaml", ["evaluate"], "c7_laughs_region.yaml"),
    ("s1_short_record_mid.vcf", ["annotate", "--vcf"], "line 6"),
    ("s4_dup_sample_col.txt", ["annotate", "--cna"], "column 'S1' appears twice"),
]
READ = [
    ("d1_stray_quote.maf", ["annotate", "--maf"], "299 row(s) read"),
    ("d2_stray_quote_tiny.maf", ["annotate", "--maf"], "3 row(s) read: 3 used"),
    ("d3_bom.maf", ["annotate", "--maf"], "6 row(s) read"),
    ("s2_header_only.seg", ["annotate", "--seg"], "no segments"),
    ("s3_space_in_colname.maf", ["annotate", "--maf"], "read without their spaces"),
    ("s6_space_sample_col.txt", ["annotate", "--cna"], "read without their spaces"),
    ("s8_space_gene_col.txt", ["annotate", "--cna"], "read without their spaces"),
]


def _run(args: list[str], tmp_path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if args and args[0] == "annotate":
        args = [*args, "-o", str(tmp_path / "out.tsv")]
    with redirect_stdout(out), redirect_stderr(err):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def _repro(name: str) -> Path:
    path = REPRO / name
    if not path.exists():
        pytest.skip(f"reproducer {name} not found at {REPRO} (expected ../shared/reliability beside the repository)")
    return path


@pytest.mark.parametrize(("name", "command", "fragment"), REFUSED, ids=[r[0] for r in REFUSED])
def test_refused_with_one_short_line(name: str, command: list[str], fragment: str, tmp_path: Path) -> None:
    args = [*command, str(_repro(name))]
    if command == ["evaluate"]:
        args.append("--no-model")
    code, _, err = _run(args, tmp_path)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and len(lines[0]) <= 320, err[:400]
    assert fragment in lines[0] and name in lines[0], lines[0]
    assert "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize(("name", "command", "fragment"), READ, ids=[r[0] for r in READ])
def test_read_in_full_with_every_row_counted(name: str, command: list[str], fragment: str, tmp_path: Path) -> None:
    code, _, err = _run([*command, str(_repro(name))], tmp_path)
    assert code == 0, err
    assert fragment in err, err


def test_undecodable_ctdna_names_the_byte(tmp_path: Path) -> None:
    code, _, err = _run(
        ["evaluate", str(CASE), "--ctdna", str(_repro("s5_nonutf8_header.csv")), "--no-model"], tmp_path
    )
    assert code == 2 and "not UTF-8 text (byte" in err and "s5_nonutf8_header.csv" in err


def test_a_gzip_bomb_is_refused_past_the_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small cap stands in for the default 2 GiB: the stream stops at the cap, not at the end."""
    monkeypatch.setenv("HER2GC_MAX_INPUT_BYTES", str(1_000_000))
    bomb = tmp_path / "bomb.maf.gz"
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    bomb.write_bytes(compressor.compress(b"\0" * 50_000_000) + compressor.flush())
    code, _, err = _run(["annotate", "--maf", str(bomb)], tmp_path)
    assert code == 2 and "HER2GC_MAX_INPUT_BYTES" in err and "bomb.maf.gz" in err


@pytest.mark.parametrize("bad_date", ["2025-13-45", "2025-02-30"])
def test_invalid_dates_are_refused_with_their_line(bad_date: str, tmp_path: Path) -> None:
    text = CASE.read_text().replace("start: 2025-02-01", f"start: {bad_date}")
    path = tmp_path / "case.yaml"
    path.write_text(text)
    code, _, err = _run(["evaluate", str(path), "--no-model"], tmp_path)
    assert code == 2 and "case.yaml" in err and "line" in err and "internal error" not in err, err


def test_too_many_treatment_lines_are_refused(tmp_path: Path) -> None:
    data = {"patient_id": "P", "region": "US", "tumour": {"site": "stomach"}}
    data["treatment_history"] = [{"line": i + 1, "drugs": ["capecitabine"]} for i in range(10_000)]
    path = tmp_path / "case.json.gz"
    path.write_bytes(gzip.compress(json.dumps(data).encode()))
    code, _, err = _run(["evaluate", str(path), "--no-model"], tmp_path)
    assert code == 2 and "treatment_history" in err, err
