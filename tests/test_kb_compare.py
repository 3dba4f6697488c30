"""``her2gc kb compare adc``: every HER2 ADC with its DAR and payload exactly as Tao & Huang
2026 Table 1 prints them, approvals in force by region, toxicities and gastric figures;
and the same table in the HTML report when two or more ADCs are offered."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

import her2gc
from her2gc.cli import main
from her2gc.engine import EvaluationOptions
from her2gc.render import to_html
from her2gc.render.adc import adc_table_html, offered_adc_ids

ROOT = Path(__file__).resolve().parents[1]
# Tao & Huang 2026, Table 1: DAR and the structure column (linker/payload class (payload)), as printed.
TABLE_1 = {
    "trastuzumab deruxtecan": ("~8", "可切割连接子(GGFG 四肽连接子)/拓扑异构酶 I 抑制剂 (Deruxtecan)"),
    "disitamab vedotin": ("4", "可切割连接子(vc 连接子)/微管蛋白抑制剂(单甲基澳瑞他汀 E, MMAE)"),
    "trastuzumab duocarmazine": ("~2.8", "可切割连接子(肽连接子)/DNA 烷基化剂 (Duocarmycin)"),
    "anvatabart opadotin": ("~2.0", "不可切割连接子(非天然氨基酸定点偶联)/微管蛋白抑制剂 (单甲基 auristatin F, MMAF)"),
}
PAYLOADS = {
    "trastuzumab deruxtecan": "Deruxtecan",
    "disitamab vedotin": "monomethyl auristatin E (MMAE)",
    "trastuzumab duocarmazine": "Duocarmycin",
    "anvatabart opadotin": "monomethyl auristatin F (MMAF)",
    "trastuzumab emtansine": "DM1",
}


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["kb", "compare", "adc", *args]) == 0
    return capsys.readouterr().out


def test_json_has_every_adc_as_the_contract_says(capsys: pytest.CaptureFixture[str]) -> None:
    adcs = {a["drug"]: a for a in json.loads(_run(capsys, "--format", "json"))["adcs"]}
    assert set(PAYLOADS) <= set(adcs)
    for drug, (dar, structure) in TABLE_1.items():
        row = adcs[drug]
        assert row["dar"] == dar and row["structure_printed"] == structure and row["in_table"]
        assert row["payload"] == PAYLOADS[drug] and row["linker"] and row["toxicities"]
        assert set(row["approvals"]) == {"US", "EU", "CN", "JP"}
    assert adcs["trastuzumab deruxtecan"]["payload_printed"] == "拓扑异构酶 I 抑制剂 (Deruxtecan)"
    assert [a["status"] for a in adcs["disitamab vedotin"]["approvals"]["CN"]] == ["conditional"]
    assert [a["status"] for a in adcs["trastuzumab deruxtecan"]["approvals"]["US"]] == ["approved"]
    assert adcs["disitamab vedotin"]["approvals"]["US"] == []
    assert (
        adcs["trastuzumab emtansine"]["dar"] == "not given in the sources"
        and not adcs["trastuzumab emtansine"]["confirmed"]
    )
    assert adcs["trastuzumab duocarmazine"]["gastric_figures"] == []
    assert any("7.9 months" in f["text"] for f in adcs["disitamab vedotin"]["gastric_figures"])


def test_text_prints_dar_and_structure_as_table_1(capsys: pytest.CaptureFixture[str]) -> None:
    text = _run(capsys)
    for drug, (dar, structure) in TABLE_1.items():
        block = text[text.index(f"\n{drug} (") :]
        block = block[: block.index("\n\n")]
        assert f"DAR {dar}" in " ".join(block.split()) and structure in block
    assert "none recorded" in text and "Sources" in text
    assert "seed00" not in text.lower()


class _Cells(HTMLParser):
    """The text of each table row of the ADC table, by row id."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, str] = {}
        self._row: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._row = dict(attrs).get("id")
            if self._row:
                self.rows[self._row] = ""

    def handle_data(self, data: str) -> None:
        if self._row:
            self.rows[self._row] += data


def test_html_page_has_a_row_per_adc(capsys: pytest.CaptureFixture[str]) -> None:
    page = _run(capsys, "--format", "html")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    cells = _Cells()
    cells.feed(page)
    for drug, (dar, structure) in TABLE_1.items():
        row = cells.rows[f"adc-{drug.replace(' ', '-')}"]
        linker, _, payload = structure.partition("/")
        assert dar in row and linker in row and payload in row and PAYLOADS[drug] in row


def test_unknown_format_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "compare", "adc", "--format", "pdf"]) == 2
    assert "--format" in capsys.readouterr().err


def test_the_report_shows_the_table_with_two_adcs_offered(kb: Any) -> None:
    case = her2gc.read_case(ROOT / "tests" / "cases" / "safety" / "safety_tdxd_ild_figures_line2.yaml", kb)
    report = her2gc.evaluate(case, kb, EvaluationOptions(with_model=False))
    ids = offered_adc_ids([o.drugs for o in report.recommendations], kb)
    assert ids == ["trastuzumab deruxtecan", "anvatabart opadotin"]
    page = to_html(report, case, kb)
    assert "The ADCs offered, side by side" in page and adc_table_html(kb, ids) in page


def test_the_report_has_no_table_with_one_adc(kb: Any) -> None:
    case = her2gc.read_case(ROOT / "tests" / "cases" / "core" / "line3_us_after_tdxd.yaml", kb)
    report = her2gc.evaluate(case, kb, EvaluationOptions(with_model=False))
    assert len(offered_adc_ids([o.drugs for o in report.recommendations], kb)) < 2
    assert "The ADCs offered" not in to_html(report, case, kb)
