"""The clinician's page in-process: GET / (the form), POST /report (the report, or the form again).

The real browser drives the same page in tests/page/; these tests check the answers'
content and status quickly: the contract's field names, the audit row of each report, the
command line's wording of a bad case, the pasted text kept, and the HTML report's bytes
being ``her2gc evaluate --format html``'s under the page's header.
"""

from __future__ import annotations

import hashlib
import json
import re
from html import unescape

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_helpers import EXAMPLE, example_case

import her2gc
from her2gc.render import to_html

NO_FILE = ("case", ("", b"", "application/octet-stream"))  # what a browser sends when no file was chosen


def _problem_line(page: str) -> str:
    found = re.search(r'<p class="line">(.*?)</p>', page, re.S)
    assert found, "no problem line on the page"
    return unescape(found.group(1))


def _textarea(page: str) -> str:
    found = re.search(r'<textarea id="case-text"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert found  # the newline after the tag is the parser's to drop: a pasted one is kept
    return unescape(found.group(1))


def _audit_rows(client):
    from her2gc.service.audit import audit_table

    with client.app.state.service.engine.connect() as connection:
        return [dict(row) for row in connection.execute(audit_table.select()).mappings()]


def test_the_page_is_a_labelled_form_posting_the_contracts_fields(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<form method="post" action="/report" enctype="multipart/form-data">' in html
    assert html.count('name="case"') == 2 and 'name="region"' in html  # the file control and the text box
    for control in ("case-file", "case-text", "region"):
        assert f'<label for="{control}">' in html and f'id="{control}"' in html
    assert [unescape(v) for v in re.findall(r'<option value="([^"]*)"', html)] == ["", "US", "EU", "CN", "JP"]
    assert "<script" not in html and "http://" not in html and "https://" not in html  # nothing fetched, no script
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "script-src" not in page.headers["content-security-policy"]


def test_an_upload_gives_the_command_lines_report_under_the_pages_header(client, kb, tmp_path):
    raw = EXAMPLE.read_bytes()
    answer = client.post("/report", files={"case": (EXAMPLE.name, raw, "application/yaml")}, data={"region": ""})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    case = her2gc.read_case(EXAMPLE, kb)
    report = her2gc.evaluate(case, kb)
    assert answer.text == to_html(report, case, kb, new_case_link="/")
    bare = to_html(report, case, kb)
    header = re.search(r'<header class="site">.*?</header>\n', answer.text, re.S)
    assert header and 'href="/"' in header.group(0) and "New case" in header.group(0)
    assert answer.text.replace(header.group(0), "") == bare  # the same report, the header added
    from her2gc.cli import main

    assert main(["evaluate", str(EXAMPLE), "--format", "html", "--output", str(tmp_path / "cli.html")]) == 0
    assert (tmp_path / "cli.html").read_text(encoding="utf-8") == bare  # her2gc evaluate --format html
    rows = _audit_rows(client)
    assert rows[-1]["endpoint"] == "/report" and rows[-1]["input_sha256"] == hashlib.sha256(raw).hexdigest()
    assert answer.headers["x-her2gc-audit"] == str(rows[-1]["seq"])
    assert json.loads(rows[-1]["details"])["media_type"] == "text/html"


def test_pasted_text_and_the_region_chosen(client):
    text = yaml.safe_dump(example_case(patient_id="PASTED-1"))
    answer = client.post("/report", files=[NO_FILE], data={"case": text, "region": "JP"})
    assert answer.status_code == 200 and "PASTED-1" in answer.text
    assert "region JP" in answer.text and "Approval (JP)" in answer.text
    as_json = client.post("/report", data={"case": json.dumps(example_case(patient_id="PASTED-2"))})
    assert as_json.status_code == 200 and "PASTED-2" in as_json.text and "region CN" in as_json.text


def test_a_bad_file_gives_the_page_again_naming_the_file_and_the_field(client):
    bad = EXAMPLE.read_text().replace("ihc: {score: 3+}", "ihc: {score: 4+}").encode()
    answer = client.post("/report", files={"case": ("bad case.yaml", bad, "application/yaml")}, data={"region": "EU"})
    assert answer.status_code == 422 and answer.headers["content-type"].startswith("text/html")
    assert _problem_line(answer.text) == "bad case.yaml: case.her2_tests[1].ihc.score: '4+' is not one of 0, 1+, 2+, 3+"
    assert 'role="alert"' in answer.text and answer.text.count(' aria-invalid="true"') == 1
    assert re.search(r'id="case-file"[^>]*aria-invalid="true"', answer.text)
    assert '<option value="EU" selected>' in answer.text  # the region chosen is kept
    assert "<title>Error:" in answer.text
    assert not [row for row in _audit_rows(client) if row["endpoint"] == "/report"]  # nothing was evaluated


def test_bad_pasted_text_is_kept_and_worded_as_the_command_line_words_it(client, tmp_path, capsys):
    from her2gc.cli import main

    bad = EXAMPLE.read_text().replace("ihc: {score: 3+}", "ihc: {score: 4+}")
    answer = client.post("/report", files=[NO_FILE], data={"case": bad})
    assert answer.status_code == 422
    assert _textarea(answer.text) == bad
    (tmp_path / "pasted text").write_text(bad)
    assert main(["evaluate", str(tmp_path / "pasted text")]) == 2
    command_line = capsys.readouterr().err.strip().removeprefix("her2gc: error: ").replace(str(tmp_path) + "/", "")
    assert _problem_line(answer.text) == command_line


def test_the_other_problems_of_a_form(client):
    no_region = "\n".join(line for line in EXAMPLE.read_text().splitlines() if not line.startswith("region:"))
    answer = client.post("/report", files=[NO_FILE], data={"case": no_region})
    assert answer.status_code == 422
    assert _problem_line(answer.text) == (
        "pasted text: case.region: required (set region: US, EU, CN or JP in the case, or choose the region below)"
    )
    assert re.search(r'id="region"[^>]*aria-invalid="true"', answer.text)
    empty = client.post("/report", files=[NO_FILE], data={"case": "  \n"})
    assert empty.status_code == 422 and _problem_line(empty.text) == "case: empty; upload a case file or paste the case"
    both = client.post("/report", files={"case": ("a.yaml", b"x: 1", "application/yaml")}, data={"case": "y: 2"})
    assert both.status_code == 422 and "both a file and pasted text" in _problem_line(both.text)
    assert _textarea(both.text) == "y: 2"
    malformed = client.post("/report", files=[NO_FILE], data={"case": '{"patient_id": "X",'})
    assert _problem_line(malformed.text).startswith("pasted text line 1: malformed JSON")
    missing = client.post("/report", data={"region": "EU"})
    assert missing.status_code == 422 and _problem_line(missing.text).startswith("case: required form field missing")
    region = client.post("/report", data={"case": yaml.safe_dump(example_case()), "region": "XX"})
    assert region.status_code == 422 and _problem_line(region.text) == "region: 'XX' is not one of US, EU, CN, JP"


def test_a_client_that_accepts_json_gets_the_error_shape(client):
    bad = EXAMPLE.read_text().replace("ihc: {score: 3+}", "ihc: {score: 4+}")
    answer = client.post("/report", data={"case": bad}, headers={"Accept": "application/json"})
    assert answer.status_code == 422 and answer.headers["content-type"] == "application/json"
    assert answer.json()["detail"][0]["loc"] == ["body", "her2_tests", 1, "ihc", "score"]
    missing = client.post("/report", data={"region": "EU"}, headers={"Accept": "application/json"})
    assert missing.status_code == 422 and missing.json()["detail"][0]["loc"] == ["body", "case"]


def test_a_fhir_bundle_uploaded_or_pasted(client):
    bundle = EXAMPLE.parents[1] / "tests" / "fhir" / "golden" / "her2_low.json"
    files = {"case": (bundle.name, bundle.read_bytes(), "application/fhir+json")}
    unplaced = client.post("/report", files=files)  # a Bundle names no region: the page asks for one
    assert unplaced.status_code == 422 and _problem_line(unplaced.text).startswith(
        "her2_low.json: case.region: required"
    )
    uploaded = client.post("/report", files=files, data={"region": "CN"})
    assert uploaded.status_code == 200 and "MRN-1003" in uploaded.text and "region CN" in uploaded.text
    pasted = client.post("/report", files=[NO_FILE], data={"case": bundle.read_text(), "region": "US"})
    assert pasted.status_code == 200 and "region US" in pasted.text
    wrong = client.post("/report", files=[NO_FILE], data={"case": json.dumps({"resourceType": "Patient"})})
    assert wrong.status_code == 422 and _problem_line(wrong.text).startswith("pasted text: resourceType: 'Patient'")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_pasted_text_gives_a_report_or_the_page_with_a_problem(client, text):
    answer = client.post("/report", files=[NO_FILE], data={"case": text})
    assert answer.status_code in (200, 422), answer.text[:300]
    if answer.status_code == 422:
        assert _problem_line(answer.text)
        assert _textarea(answer.text) == (text if text.strip() else "")
