"""CDS Hooks 2.0 rules, as tests named after the specification's sections.

Section numbers follow the order of the headings of the CDS Hooks 2.0 text
(cds-hooks.hl7.org/2.0): 1.2 Use of JSON; 3 Discovery; 4 Calling a CDS Service;
5 Providing FHIR Resources to a CDS Service (5.1 Prefetch Template, 5.2 FHIR Resource
Access); 6 CDS Service Response (6.1 HTTP Status Codes, 6.2 HTTP Response, 6.3 Card
Attributes, 6.3.1 Source, 6.3.2 Suggestion, 6.3.2.1 Action, 6.3.4 Link); 7 Feedback;
8 Security and Safety (8.2 Trusting CDS Clients, 8.2.1 JWT Signing Algorithm, 8.3
Cross-Origin Resource Sharing). Each test quotes the rule it checks.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from service_helpers import example_case, medication_request, order_sign_call, patient_view_call

PATIENT_VIEW = "/cds-services/her2gc-patient-view"
ORDER_SIGN = "/cds-services/her2gc-order-sign"


def _walk(value: Any, path: str = "$") -> list[str]:
    """Paths of every null or empty value in a JSON document."""
    found: list[str] = []
    if value is None or value in ("", [], {}):
        found.append(path)
    if isinstance(value, dict):
        for key, item in value.items():
            found += _walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _walk(item, f"{path}[{index}]")
    return found


def test_3_discovery_lists_both_services_with_prefetch_templates(client):
    """3 Discovery: {services: [{hook, title, description, id, prefetch}]}; hook, description, id REQUIRED."""
    services = {s["id"]: s for s in client.get("/cds-services").json()["services"]}
    assert services["her2gc-patient-view"]["hook"] == "patient-view"
    assert services["her2gc-order-sign"]["hook"] == "order-sign"
    for service in services.values():
        assert service["description"] and service["title"]
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        assert all("{{context.patientId}}" in template for template in service["prefetch"].values())
        assert "her2gcCase" in next(iter(service["extension"].values()))


def test_4_hook_must_match_the_service_and_context_names_the_patient(client):
    """4 Calling a CDS Service: hook, hookInstance and context REQUIRED; patient-view context.patientId REQUIRED."""
    wrong_hook = client.post(PATIENT_VIEW, json=patient_view_call(hook="order-sign"))
    assert wrong_hook.status_code == 422 and wrong_hook.json()["detail"][0]["loc"] == ["body", "hook"]
    no_patient = client.post(PATIENT_VIEW, json=patient_view_call(context={"userId": "Practitioner/1"}))
    assert no_patient.status_code == 422 and no_patient.json()["detail"][0]["loc"] == ["body", "context", "patientId"]
    no_instance = patient_view_call()
    del no_instance["hookInstance"]
    assert client.post(PATIENT_VIEW, json=no_instance).status_code == 422
    assert client.post("/cds-services/no-such-service", json=patient_view_call()).status_code == 404


def test_5_412_when_neither_prefetch_nor_fhir_server_gives_the_data(client):
    """5: "If the CDS Service is unable to obtain required data because it cannot access the FHIR
    server and the request did not contain the necessary prefetch keys, the service SHALL respond
    with an HTTP 412 Precondition Failed status code."""
    response = client.post(PATIENT_VIEW, json=patient_view_call(prefetch=None))
    assert response.status_code == 412
    assert "prefetch lacks patient" in response.json()["detail"][0]["msg"]
    partial = client.post(
        PATIENT_VIEW, json=patient_view_call(prefetch={"patient": {"resourceType": "Patient", "id": "1288992"}})
    )
    assert partial.status_code == 412


def test_5_1_embedded_case_extension_is_used_as_given(client):
    """5.1 (extension): prefetch.her2gcCase, announced in discovery, carries the patient as a her2gc case."""
    response = client.post(PATIENT_VIEW, json=patient_view_call())
    assert response.status_code == 200
    assert len(response.json()["cards"]) == 3


class FakeReader:
    """Stands in for the FHIR reader: records the Bundle it is given and answers with a case."""

    def __init__(self) -> None:
        self.bundles: list[dict[str, Any]] = []

    def __call__(self, bundle: dict[str, Any], source: str) -> Any:
        import her2gc

        self.bundles.append(bundle)
        return her2gc.Case.model_validate(example_case(patient_id="FROM-FHIR")), []


def _fhir_prefetch() -> dict[str, Any]:
    from her2gc.service.cds.services import PREFETCH

    prefetch: dict[str, Any] = dict.fromkeys(PREFETCH)
    prefetch["patient"] = {"resourceType": "Patient", "id": "1288992"}
    prefetch["observations"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": "Observation", "id": "her2-ihc"}}],
    }
    return prefetch


def test_5_1_prefetched_fhir_resources_go_to_the_fhir_reader(make_client):
    """5.1: prefetch values are resources or searchset Bundles; null means the client has no data for the key."""
    from her2gc.service.fhir_bridge import FhirBridge

    reader = FakeReader()
    with make_client(app_kwargs={"fhir": FhirBridge(reader=reader, renderer=None)}) as client:
        response = client.post(PATIENT_VIEW, json=patient_view_call(prefetch=_fhir_prefetch()))
    assert response.status_code == 200, response.text
    resources = [entry["resource"]["resourceType"] for entry in reader.bundles[0]["entry"]]
    assert resources == ["Patient", "Observation"]


def test_5_1_prefetched_fhir_without_the_reader_is_412(make_client):
    from her2gc.service.fhir_bridge import FhirBridge

    with make_client(app_kwargs={"fhir": FhirBridge(reader=None, renderer=None)}) as client:
        response = client.post(PATIENT_VIEW, json=patient_view_call(prefetch=_fhir_prefetch()))
    assert response.status_code == 412
    assert "FHIR reader is not installed" in response.json()["detail"][0]["msg"]


def test_5_2_missing_prefetch_is_fetched_from_fhir_server_with_the_access_token(make_client):
    """5.2 FHIR Resource Access: with fhirServer and fhirAuthorization the service MAY fetch what prefetch lacks."""
    import httpx

    from her2gc.service.fhir_bridge import FhirBridge

    seen: list[tuple[str, str | None]] = []

    def fhir_server(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers.get("authorization")))
        if request.url.path.endswith("/Patient/1288992"):
            return httpx.Response(200, json={"resourceType": "Patient", "id": "1288992"})
        return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "entry": []})

    reader = FakeReader()
    call = patient_view_call(
        prefetch=None,
        fhirServer="https://fhir.hospital.example/r4",
        fhirAuthorization={
            "access_token": "opaque-token",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "her2gc",
        },
    )
    with make_client(
        app_kwargs={
            "fhir": FhirBridge(reader=reader, renderer=None),
            "fhir_transport": httpx.MockTransport(fhir_server),
        }
    ) as client:
        response = client.post(PATIENT_VIEW, json=call)
    assert response.status_code == 200, response.text
    assert {auth for _, auth in seen} == {"Bearer opaque-token"}
    assert "https://fhir.hospital.example/r4/Patient/1288992" in {url for url, _ in seen}
    assert "https://fhir.hospital.example/r4/AdverseEvent?subject=1288992" in {url for url, _ in seen}


def test_5_2_unreachable_fhir_server_is_412(make_client):
    import httpx

    from her2gc.service.fhir_bridge import FhirBridge

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    call = patient_view_call(
        prefetch=None,
        fhirServer="https://fhir.hospital.example/r4",
        fhirAuthorization={
            "access_token": "t",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "s",
            "subject": "x",
        },
    )
    with make_client(
        app_kwargs={"fhir": FhirBridge(reader=FakeReader(), renderer=None), "fhir_transport": httpx.MockTransport(down)}
    ) as client:
        response = client.post(PATIENT_VIEW, json=call)
    assert response.status_code == 412
    plain_http = dict(call, fhirServer="http://fhir.hospital.example/r4")
    with make_client(app_kwargs={"fhir": FhirBridge(reader=FakeReader(), renderer=None)}) as client:
        assert client.post(PATIENT_VIEW, json=plain_http).status_code == 412  # https required off this machine


def test_6_3_card_attributes(client, kb):
    """6.3 Card Attributes: summary REQUIRED, "<140-character"; indicator one of info, warning, critical;
    source REQUIRED; detail in (GitHub Flavored) Markdown. 6.3.1 Source: label REQUIRED.
    6.3.4 Link: label, url, type (absolute | smart) REQUIRED."""
    cards = client.post(PATIENT_VIEW, json=patient_view_call()).json()["cards"]
    assert [card["summary"].split(" ", 1)[0] for card in cards][:2] == ["HER2", "Line"]
    for card in cards:
        assert 0 < len(card["summary"]) < 140
        assert card["indicator"] in ("info", "warning", "critical")
        assert (
            card["source"]["label"].startswith("her2gc ") and f"knowledge base {kb.version}" in card["source"]["label"]
        )
        assert "Decision support only" in card["detail"]
        uuid.UUID(card["uuid"])
        for link in card["links"]:
            assert link["type"] == "absolute" and link["url"].startswith("http") and link["label"]
    options = cards[1]["detail"]
    assert options.splitlines()[0] == "| # | option | ESCAT | approval | key result |"


def test_6_3_cards_are_the_same_for_the_same_call(client):
    call = patient_view_call()
    first = client.post(PATIENT_VIEW, json=call).json()["cards"]
    second = client.post(PATIENT_VIEW, json=call).json()["cards"]
    assert [c["uuid"] for c in first] == [c["uuid"] for c in second]


def test_1_2_optional_fields_are_omitted_never_null_or_empty(client):
    """1.2 Use of JSON: "If a JSON attribute is defined with an optionality of OPTIONAL, but does not
    have a value, implementers MUST omit it" (null, "", [] and {} are prohibited)."""
    tdxd_ild2 = example_case(
        adverse_events=[{"drug": "trastuzumab deruxtecan", "event": "ild", "grade": 2, "onset": "2025-10-01"}]
    )
    for path, call in (
        (PATIENT_VIEW, patient_view_call()),
        (ORDER_SIGN, order_sign_call(tdxd_ild2, medication_request("Enhertu 100 mg"))),
        ("/cds-services", None),
    ):
        body = client.post(path, json=call).json() if call else client.get(path).json()
        assert _walk(body) == []


def test_6_2_nothing_to_say_is_an_empty_card_list(client):
    """6.2 HTTP Response: "If your CDS Service has no decision support for the user, your service should
    return a 200 HTTP response with an empty array of cards." A drug outside the knowledge base."""
    response = client.post(
        ORDER_SIGN, json=order_sign_call(example_case(), medication_request("Paracetamol 500 mg tablet"))
    )
    assert response.status_code == 200 and response.json() == {"cards": []}


def test_6_3_2_critical_tdxd_with_grade_2_ild_offers_alternatives_at_most_one(client):
    """6.3 "If suggestions are present, selectionBehavior MUST also be provided" (at-most-one: the user
    may choose none or at most one). T-DXd with grade >= 2 ILD: the label discontinues it."""
    case = example_case(
        adverse_events=[{"drug": "trastuzumab deruxtecan", "event": "ild", "grade": 2, "onset": "2025-10-01"}]
    )
    cards = client.post(
        ORDER_SIGN,
        json=order_sign_call(case, medication_request("trastuzumab deruxtecan 100 MG Injection", dose_mg_per_kg=5.4)),
    ).json()["cards"]
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "critical"
    assert card["summary"].startswith("Do not sign trastuzumab deruxtecan: ILD grade 2")
    assert card["selectionBehavior"] == "at-most-one"
    labels = [s["label"] for s in card["suggestions"]]
    assert labels[-1] == "Remove the trastuzumab deruxtecan order"
    assert any(label.startswith("Replace with Ramucirumab + paclitaxel") for label in labels)
    for suggestion in card["suggestions"]:
        uuid.UUID(suggestion["uuid"])
        assert suggestion["actions"][0] == {
            "type": "delete",
            "description": "Remove the draft order for trastuzumab deruxtecan",
            "resourceId": "MedicationRequest/draft-1",
        }
        for action in suggestion["actions"][1:]:
            assert action["type"] == "create" and action["resource"]["resourceType"] == "MedicationRequest"
            assert "trastuzumab deruxtecan" not in action["resource"]["medicationCodeableConcept"]["text"]


def test_order_sign_trastuzumab_for_her2_ihc_0_is_a_warning(client):
    """Trastuzumab's recommendations name HER2 tier high only; IHC 0 is tier none."""
    case = example_case(
        her2_tests=[{"date": "2025-01-10", "specimen": "biopsy", "setting": "diagnosis", "ihc": {"score": "0"}}],
        treatment_history=[],
        adverse_events=[],
        current_therapy=None,
        ctdna=[],
    )
    cards = client.post(ORDER_SIGN, json=order_sign_call(case, medication_request("Herceptin 150 mg"))).json()["cards"]
    assert [c["indicator"] for c in cards] == ["warning"]
    assert cards[0]["summary"].startswith("trastuzumab needs HER2 high (CSCO); this patient: HER2 negative, IHC 0")


def test_order_sign_dose_above_the_reduced_level_suggests_the_update(client):
    """A grade 1 ILD resolved after 28 days reduces T-DXd one level: 6.4 -> 5.4 mg/kg (US label)."""
    case = example_case(
        region="US",
        current_therapy={"drugs": ["trastuzumab deruxtecan"], "dose_mg_per_kg": 6.4},
        adverse_events=[
            {
                "drug": "trastuzumab deruxtecan",
                "event": "ild",
                "grade": 1,
                "onset": "2025-09-01",
                "resolved": "2025-10-20",
            }
        ],
    )
    cards = client.post(ORDER_SIGN, json=order_sign_call(case, medication_request("T-DXd", dose_mg_per_kg=6.4))).json()[
        "cards"
    ]
    (card,) = cards  # one card per drug being signed, its first finding as the summary
    assert card["indicator"] == "warning"
    assert "reduces it to 5.4 mg/kg" in card["summary"]
    # The resolved ILD event also counts as a history of ILD: its caution is in the detail.
    assert "history of ILD" in card["detail"]
    update = card["suggestions"][0]
    assert update["label"] == "Change the dose to 5.4 mg/kg" and card["selectionBehavior"] == "at-most-one"
    dose = update["actions"][0]["resource"]["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]
    assert update["actions"][0]["type"] == "update" and dose["value"] == 5.4


def test_order_sign_dose_off_the_ladder(client):
    cards = client.post(
        ORDER_SIGN,
        json=order_sign_call(
            example_case(region="US", adverse_events=[]),
            medication_request("trastuzumab deruxtecan", dose_mg_per_kg=7.0),
        ),
    ).json()["cards"]
    assert cards[0]["summary"].startswith("trastuzumab deruxtecan 7 mg/kg is above the starting dose 6.4 mg/kg")


def test_order_sign_needs_draft_orders(client):
    call = order_sign_call(example_case(), medication_request("T-DXd"))
    del call["context"]["draftOrders"]
    assert client.post(ORDER_SIGN, json=call).status_code == 422


def test_unreadable_record_is_an_information_card(client):
    response = client.post(
        PATIENT_VIEW,
        json=patient_view_call(example_case(tumour={"site": "stomach", "histology": "squamous cell carcinoma"})),
    )
    cards = response.json()["cards"]
    assert response.status_code == 200 and [c["indicator"] for c in cards] == ["info"]
    assert cards[0]["summary"] == "her2gc could not assess this patient from the record"


# ---------------------------------------------------------------- 7 Feedback


def test_7_feedback_is_stored_in_the_audit_trail(client, settings):
    """7 Feedback: {feedback: [{card, outcome, acceptedSuggestions?, overrideReason?, outcomeTimestamp}]}."""
    from her2gc.service.audit import make_engine, verify_chain

    card = client.post(PATIENT_VIEW, json=patient_view_call()).json()["cards"][0]["uuid"]
    body = {
        "feedback": [
            {
                "card": card,
                "outcome": "overridden",
                "overrideReason": {
                    "reason": {"code": "other", "system": "https://hospital.example/reasons", "display": "Other"},
                    "userComment": "discussed at board",
                },
                "outcomeTimestamp": "2026-01-05T10:00:00Z",
            },
            {
                "card": card,
                "outcome": "accepted",
                "acceptedSuggestions": [{"id": str(uuid.uuid4())}],
                "outcomeTimestamp": "2026-01-05T10:01:00Z",
            },
        ]
    }
    response = client.post("/cds-services/her2gc-patient-view/feedback", json=body)
    assert response.status_code == 200 and response.json() == {"stored": 2}
    result = verify_chain(make_engine(settings.database_url))
    assert result.ok and result.rows == 3 and result.feedback_rows == 2


@pytest.mark.parametrize(
    "item",
    [
        {
            "card": "c",
            "outcome": "accepted",
            "outcomeTimestamp": "2026-01-05T10:00:00Z",
        },  # accepted names its suggestions
        {"card": "c", "outcome": "ignored", "outcomeTimestamp": "2026-01-05T10:00:00Z"},
        {"card": "c", "outcome": "overridden", "outcomeTimestamp": "yesterday"},
        {"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-01-05T10:00:00"},  # no zone
    ],
)
def test_7_malformed_feedback_is_refused(client, item):
    assert client.post("/cds-services/her2gc-order-sign/feedback", json={"feedback": [item]}).status_code == 422
