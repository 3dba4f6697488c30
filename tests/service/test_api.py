"""The HTTP API: /healthz, /v1/evaluate (formats, the 422 shape, tokens, limits), report links
(the page and its form: test_page.py)."""

from __future__ import annotations

from typing import Any

import pytest
from service_helpers import example_case

from her2gc.render import to_json


def test_healthz_names_the_knowledge_base(client, kb):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "kb_sha256": kb.sha256, "kb_version": kb.version}


def test_evaluate_json_is_the_command_lines_report(client, kb):
    import her2gc

    case = example_case()
    response = client.post("/v1/evaluate", json=case)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    expected = to_json(her2gc.evaluate(her2gc.Case.model_validate(case), kb))
    assert response.text == expected
    assert int(response.headers["x-her2gc-audit"]) == 1


def test_evaluate_region_query_overrides_the_case(client):
    response = client.post("/v1/evaluate?region=us&model=false", json=example_case())
    assert response.json()["region"] == "US"
    assert response.json()["model"]["predictions"] == []


def test_evaluate_html(client):
    response = client.post("/v1/evaluate", json=example_case(), headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text.lower() and "EXAMPLE-001" in response.text


def test_evaluate_accepts_yaml(client):
    import yaml

    malformed = client.post(
        "/v1/evaluate", content="patient_id: [unclosed\n", headers={"Content-Type": "application/yaml"}
    )
    assert malformed.status_code == 422 and "malformed YAML" in malformed.json()["detail"][0]["msg"]

    response = client.post(
        "/v1/evaluate",
        content=yaml.safe_dump(example_case(patient_id="YAML-1")),
        headers={"Content-Type": "application/yaml"},
    )
    assert response.status_code == 200 and response.json()["patient_id"] == "YAML-1"


def _without_fhir(reader: bool, renderer: bool) -> dict[str, Any]:
    """app_kwargs of a service whose FHIR reader or renderer is left out."""
    import her2gc
    from her2gc.service.fhir_bridge import FhirBridge

    full = FhirBridge.of(her2gc.load_kb())
    return {"fhir": FhirBridge(reader=full.reader if reader else None, renderer=full.renderer if renderer else None)}


def test_fhir_output_absent_is_406_with_a_message(make_client):
    with make_client(app_kwargs=_without_fhir(reader=True, renderer=False)) as client:
        response = client.post("/v1/evaluate", json=example_case(), headers={"Accept": "application/fhir+json"})
    assert response.status_code == 406
    assert "FHIR" in response.json()["detail"][0]["msg"]


def test_fhir_output_is_a_genomics_report_bundle(client):
    response = client.post("/v1/evaluate", json=example_case(), headers={"Accept": "application/fhir+json"})
    assert response.status_code == 200
    assert response.json()["resourceType"] == "Bundle"


def test_unacceptable_accept_is_406(client):
    response = client.post("/v1/evaluate", json=example_case(), headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert response.json()["detail"][0]["loc"] == ["header", "accept"]


@pytest.mark.parametrize(
    ("change", "loc", "msg"),
    [
        (
            {"her2_tests": [{"specimen": "biopsy", "ihc": {"score": "4+"}}]},
            ["body", "her2_tests", 0, "ihc", "score"],
            "case.her2_tests[0].ihc.score: '4+' is not one of 0, 1+, 2+, 3+",
        ),
        (
            {"tumour": {"site": "colon"}},
            ["body", "tumour", "site"],
            "case.tumour.site: 'colon' is not one of stomach, gej, oesophagus",
        ),
        ({"patient_id": None}, ["body", "patient_id"], "case.patient_id: Input should be a valid string"),
    ],
)
def test_bad_case_is_422_with_the_command_lines_message(client, change, loc, msg):
    response = client.post("/v1/evaluate", json=example_case(**change))
    assert response.status_code == 422
    first = response.json()["detail"][0]
    assert first == {"loc": loc, "msg": msg}


def test_malformed_json_and_non_mapping_are_422(client):
    response = client.post("/v1/evaluate", content=b'{"patient_id": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("body line 1: malformed JSON")
    response = client.post("/v1/evaluate", json=[1, 2])
    assert response.json()["detail"][0]["msg"] == "case: expected a mapping at the top level, got list"


def test_missing_region_is_422_on_the_query(client):
    response = client.post("/v1/evaluate", json={k: v for k, v in example_case().items() if k != "region"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "region"]
    assert (
        client.post("/v1/evaluate?region=XX", json=example_case()).json()["detail"][0]["msg"]
        == "region: 'XX' is not one of US, EU, CN, JP"
    )


def test_api_tokens_are_required_when_configured(make_client, tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("# pipeline tokens\nalpha-token-0123456789\n\nbeta-token-0123456789\n")
    with make_client(api_tokens_file=tokens) as client:
        assert client.post("/v1/evaluate", json=example_case()).status_code == 401
        wrong = client.post(
            "/v1/evaluate", json=example_case(), headers={"Authorization": "Bearer gamma-token-0123456789"}
        )
        assert wrong.status_code == 401 and wrong.headers["www-authenticate"].startswith("Bearer")
        assert "gamma" not in wrong.text
        for token in ("alpha-token-0123456789", "beta-token-0123456789"):
            assert (
                client.post(
                    "/v1/evaluate?model=false", json=example_case(), headers={"Authorization": f"Bearer {token}"}
                ).status_code
                == 200
            )
        assert client.get("/healthz").status_code == 200  # no auth on health


def test_short_tokens_are_refused_at_start(tmp_path):
    from her2gc.errors import InputError
    from her2gc.service.security import TokenStore

    path = tmp_path / "tokens"
    path.write_text("short\n")
    with pytest.raises(InputError, match="line 1: a token is at least 16 characters"):
        TokenStore.from_file(path)


def test_rate_limit_per_client(make_client):
    with make_client(rate_limit_per_minute=3) as client:
        codes = [client.get("/cds-services").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_body_size_limit(make_client):
    with make_client(max_body_bytes=2048) as client:
        response = client.post("/v1/evaluate", json=example_case(notes="x" * 5000))
    assert response.status_code == 413
    assert response.json()["detail"][0]["loc"] == ["body"]


def test_security_headers_and_no_cors_by_default(client):
    response = client.post(
        "/v1/evaluate?model=false", json=example_case(), headers={"Origin": "https://elsewhere.example"}
    )
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert "default-src 'none'" in headers["content-security-policy"]
    assert "access-control-allow-origin" not in headers
    assert "server" not in headers or "uvicorn" not in headers["server"]


def test_cors_only_for_configured_origins(make_client):
    with make_client(cors_origins=("https://portal.example",)) as client:
        allowed = client.options(
            "/v1/evaluate", headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"}
        )
        refused = client.options(
            "/v1/evaluate", headers={"Origin": "https://elsewhere.example", "Access-Control-Request-Method": "POST"}
        )
    assert allowed.headers.get("access-control-allow-origin") == "https://portal.example"
    assert "access-control-allow-origin" not in refused.headers


def test_internal_errors_reveal_nothing(client, monkeypatch):
    from her2gc.service import evaluation

    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internal detail /etc/passwd")

    monkeypatch.setattr(evaluation, "evaluate", broken)
    response = client.post("/v1/evaluate", json=example_case())
    assert response.status_code == 500
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert response.json()["detail"][0]["msg"].startswith("internal error (reference ")


def test_report_link_opens_and_a_forged_one_does_not(client):
    from service_helpers import patient_view_call

    cards = client.post("/cds-services/her2gc-patient-view", json=patient_view_call()).json()["cards"]
    url = cards[0]["links"][0]["url"]
    assert url.startswith("http://testserver/reports/")
    page = client.get(url.removeprefix("http://testserver"))
    assert page.status_code == 200 and "EXAMPLE-001" in page.text
    token = url.rsplit("/", 1)[1]
    forged = client.get("/reports/" + token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"))
    assert forged.status_code == 404
    assert "EXAMPLE-001" not in url  # the link carries the case encrypted, not readable


def test_fhir_input_without_the_reader_is_415(make_client):
    with make_client(app_kwargs=_without_fhir(reader=False, renderer=True)) as client:
        response = client.post("/v1/evaluate", json={"resourceType": "Bundle", "type": "collection", "entry": []})
    assert response.status_code == 415
    assert "FHIR" in response.json()["detail"][0]["msg"]


def test_workers_solve_model_screens_in_process(make_client):
    """A server worker is threaded (and daemonic with --workers > 1): its runtime has no process executor."""
    with make_client() as client:
        assert client.get("/healthz").status_code == 200
        assert client.app.state.service.runtime.executor is None


def test_log_lines_carry_the_patient_hash_never_the_id(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="her2gc.service.access"):
        response = client.post("/v1/evaluate?model=false", json=example_case(patient_id="MRN-55512"))
    assert response.status_code == 200
    lines = [record.getMessage() for record in caplog.records if record.name == "her2gc.service.access"]
    assert len(lines) == 1
    assert "MRN-55512" not in lines[0]
    assert "POST /v1/evaluate 200" in lines[0] and "patient=" in lines[0] and "patient=-" not in lines[0]
    assert f"audit={response.headers['x-her2gc-audit']}" in lines[0]


def test_openapi_and_docs(client):
    schema = client.get("/openapi.json").json()
    assert {
        "/v1/evaluate",
        "/report",
        "/cds-services",
        "/cds-services/{service_id}",
        "/cds-services/{service_id}/feedback",
        "/healthz",
    } <= set(schema["paths"])
    assert "Case" in schema["components"]["schemas"] and "Report" in schema["components"]["schemas"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
