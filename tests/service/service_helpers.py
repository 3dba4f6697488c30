"""Helpers of the service tests: the example case as data, signed CDS Hooks JWTs, hook calls."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
import yaml

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "her2_positive_second_line.yaml"
ISSUER = "https://ehr.example.org"
BASE = "http://testserver"


def example_case(**changes: Any) -> dict[str, Any]:
    """The README's example case as JSON data, with top-level fields replaced."""
    data = json.loads(json.dumps(yaml.safe_load(EXAMPLE.read_text()), default=str))
    data.update(changes)
    return data


def sign(
    key: Any,
    *,
    aud: str | list[str],
    kid: str = "ehr-ec",
    alg: str = "ES384",
    iss: str = ISSUER,
    lifetime: int = 300,
    iat: float | None = None,
    jti: str | None = None,
    drop: tuple[str, ...] = (),
) -> str:
    now = time.time() if iat is None else iat
    claims: dict[str, Any] = {
        "iss": iss,
        "aud": aud,
        "iat": int(now),
        "exp": int(now) + lifetime,
        "jti": jti or str(uuid.uuid4()),
    }
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": "JWT"})


def patient_view_call(case: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
    call = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": "1288992"},
        "prefetch": {"her2gcCase": case if case is not None else example_case()},
    }
    call.update(changes)
    return call


def medication_request(
    text: str, *, request_id: str = "draft-1", dose_mg_per_kg: float | None = None
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": request_id,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/1288992"},
        "medicationCodeableConcept": {"text": text},
    }
    if dose_mg_per_kg is not None:
        resource["dosageInstruction"] = [
            {
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": dose_mg_per_kg,
                            "unit": "mg/kg",
                            "system": "http://unitsofmeasure.org",
                            "code": "mg/kg",
                        }
                    }
                ]
            }
        ]
    return resource


def order_sign_call(case: dict[str, Any], *orders: dict[str, Any]) -> dict[str, Any]:
    return {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/example",
            "patientId": "1288992",
            "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": o} for o in orders]},
        },
        "prefetch": {"her2gcCase": case},
    }
