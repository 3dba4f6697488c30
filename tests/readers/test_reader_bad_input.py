"""Bad input: a clear InputError naming file and line/column, or a counted, reported skip."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from her2gc.errors import InputError
from her2gc.readers import read_cna, read_ctdna, read_maf, read_seg, read_vcf
from support import genomics


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_truncated_gzip_names_file_and_line(data_dir: Path, tmp_path: Path) -> None:
    whole = gzip.compress((data_dir / "tumour.maf").read_bytes() * 200)
    cut = tmp_path / "tumour.maf.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError, match=r"tumour\.maf\.gz: not a valid gzip file \(truncated after \d+ line"):
        read_maf(cut, genomics())


def test_truncated_last_row_is_skipped_and_counted(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "tumour.maf").read_text()
    cut = _write(tmp_path / "tumour.maf", text[: text.rindex("\t")])  # last line loses its last fields
    result = read_maf(cut, genomics())
    assert result.skipped["rows with the wrong number of fields (truncated or blank lines)"] == 1
    assert any("tumour.maf: skipped 1 row(s) with the wrong number of fields (line 8)" in w for w in result.warnings)


def test_blank_line_is_counted(data_dir: Path, tmp_path: Path) -> None:
    lines = (data_dir / "tumour.maf").read_text().splitlines()
    path = _write(tmp_path / "blank.maf", "\n".join([*lines[:3], "", *lines[3:]]) + "\n")
    result = read_maf(path, genomics())
    assert result.report.skipped_total == 3
    assert result.table.column("line").to_pylist()[:3] == [3, 5, 6]


def test_missing_column_names_file_and_header_line(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "tumour.maf").read_text().replace("Hugo_Symbol", "Gene_Name_X")
    with pytest.raises(InputError, match=r"tumour\.maf line 2: column 'Hugo_Symbol' or .* missing"):
        read_maf(_write(tmp_path / "tumour.maf", text), genomics())


def test_unknown_build_in_maf(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "tumour.maf").read_text().replace("\tGRCh37\nHER2", "\thg17\nHER2")
    with pytest.raises(InputError, match=r"tumour\.maf line 3, column 'NCBI_Build': unknown genome build 'hg17'"):
        read_maf(_write(tmp_path / "tumour.maf", text), genomics())


def test_unknown_build_for_segments(data_dir: Path) -> None:
    with pytest.raises(InputError, match=r"tiny\.seg: --build: unknown genome build 'NCBI36'"):
        read_seg(data_dir / "tiny.seg", genomics(), build="NCBI36")


def test_vcf_without_annotation(data_dir: Path) -> None:
    with pytest.raises(InputError, match=r"plain\.vcf: no VEP CSQ or SnpEff ANN annotation"):
        read_vcf(data_dir / "plain.vcf", genomics())


def test_truncated_vcf_record(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "vep.vcf").read_text()
    path = _write(tmp_path / "cut.vcf", text[: text.rindex("\n", 0, len(text) - 1)] + "\n3\t178952090\t.\tA")
    with pytest.raises(InputError, match=r"cut\.vcf line 11: truncated record \(4 of at least 8 fields\)"):
        read_vcf(path, genomics())


def test_non_numeric_segment_mean(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "tiny.seg").read_text().replace("\t2.1\n", "\tabc\n")
    with pytest.raises(InputError, match=r"tiny\.seg line \d+, column 'seg\.mean': 'abc' is not a number"):
        read_seg(_write(tmp_path / "tiny.seg", text), genomics())


def test_non_numeric_discrete_copy_number(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "tiny_cna.txt").read_text().replace("MET\t4233\t1\t2", "MET\t4233\t1\ttwo")
    with pytest.raises(InputError, match=r"tiny_cna\.txt line 3, column 'S2': 'two' is not a number"):
        read_cna(_write(tmp_path / "tiny_cna.txt", text), genomics())


def test_discrete_value_out_of_vocabulary(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "tiny_cna.txt").read_text().replace("ERBB2\t2064\t2", "ERBB2\t2064\t7")
    with pytest.raises(InputError, match=r"tiny_cna\.txt line 2, column 'S1': '7' is not a discrete copy-number value"):
        read_cna(_write(tmp_path / "tiny_cna.txt", text), genomics())


def test_non_numeric_ctdna_copy_number(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "ctdna_long.csv").read_text().replace("2025-02-01,8.2", "2025-02-01,high")
    with pytest.raises(InputError, match=r"ctdna\.csv line 2, column 'erbb2_copy_number': 'high' is not a number"):
        read_ctdna(_write(tmp_path / "ctdna.csv", text), genomics())


def test_ctdna_bad_date_and_vaf(data_dir: Path, tmp_path: Path) -> None:
    text = (data_dir / "ctdna_long.csv").read_text()
    with pytest.raises(InputError, match=r"line 2, column 'date': '01/02/2025' is not an ISO date"):
        read_ctdna(_write(tmp_path / "a.csv", text.replace("2025-02-01", "01/02/2025")), genomics())
    with pytest.raises(InputError, match=r"line 3, column 'vaf': VAF '5' is outside 0-1"):
        read_ctdna(_write(tmp_path / "b.csv", text.replace("p.His1047Arg,0.05", "p.His1047Arg,5")), genomics())


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"empty\.maf: the file is empty"):
        read_maf(_write(tmp_path / "empty.maf", ""), genomics())
    with pytest.raises(InputError, match=r"cannot read"):
        read_maf(tmp_path / "absent.maf", genomics())
