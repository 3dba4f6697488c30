"""8.2 Trusting CDS Clients and 8.2.1 JWT Signing Algorithm: every bad token is a 401.

"Each time a CDS Client transmits a request to a CDS Service, the request MUST include an
Authorization header presenting the JWT as a "Bearer" token" (discovery included);
``aud`` "MUST be the URL of the CDS Service endpoint being invoked"; ``jti`` protects
"against replay attacks"; JWTs "SHALL NOT be signed using the none algorithm" nor "any
symmetric algorithm"; ES384 and RS384 are RECOMMENDED.
"""

from __future__ import annotations

import base64
import json
import time

import jwt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from service_helpers import BASE, patient_view_call, sign

PATIENT_VIEW = "/cds-services/her2gc-patient-view"
AUD = BASE + PATIENT_VIEW


def _call(client, token: str | None, path: str = PATIENT_VIEW):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(path, json=patient_view_call(), headers=headers)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_8_2_es384_and_rs384_from_a_trusted_ehr_are_accepted(cds_client, ehr_keys):
    assert _call(cds_client, sign(ehr_keys["ec"], aud=AUD)).status_code == 200
    assert _call(cds_client, sign(ehr_keys["rsa"], aud=AUD, kid="ehr-rsa", alg="RS384")).status_code == 200
    assert (
        _call(cds_client, sign(ehr_keys["ec"], aud=["https://other.example/x", AUD])).status_code == 200
    )  # aud as a list


def test_8_2_discovery_and_feedback_need_the_jwt_too(cds_client, ehr_keys):
    assert cds_client.get("/cds-services").status_code == 401
    ok = cds_client.get(
        "/cds-services", headers={"Authorization": f"Bearer {sign(ehr_keys['ec'], aud=BASE + '/cds-services')}"}
    )
    assert ok.status_code == 200
    feedback = {"feedback": [{"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-01-01T00:00:00Z"}]}
    path = PATIENT_VIEW + "/feedback"
    assert cds_client.post(path, json=feedback).status_code == 401
    assert (
        cds_client.post(
            path, json=feedback, headers={"Authorization": f"Bearer {sign(ehr_keys['ec'], aud=BASE + path)}"}
        ).status_code
        == 200
    )


def test_8_2_missing_token_is_401(cds_client):
    response = _call(cds_client, None)
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Bearer")


def test_8_2_wrong_aud_is_401(cds_client, ehr_keys):
    for aud in (
        BASE + "/cds-services/her2gc-order-sign",
        BASE + "/cds-services",
        AUD + "/",
        "https://testserver" + PATIENT_VIEW,
    ):
        response = _call(cds_client, sign(ehr_keys["ec"], aud=aud))
        assert response.status_code == 401, aud
        assert "aud" in response.json()["detail"][0]["msg"]


def test_8_2_expired_is_401(cds_client, ehr_keys):
    token = sign(ehr_keys["ec"], aud=AUD, iat=time.time() - 600, lifetime=300)
    assert _call(cds_client, token).json()["detail"][0]["msg"] == "JWT expired"


def test_8_2_small_leeway_for_clock_skew(cds_client, ehr_keys):
    """exp 10 s ago passes within the 30 s leeway; iat a minute ahead does not."""
    assert _call(cds_client, sign(ehr_keys["ec"], aud=AUD, iat=time.time() - 70, lifetime=60)).status_code == 200
    assert _call(cds_client, sign(ehr_keys["ec"], aud=AUD, iat=time.time() + 60)).status_code == 401


def test_8_2_replayed_jti_is_401(cds_client, ehr_keys):
    token = sign(ehr_keys["ec"], aud=AUD, jti="one-time-value")
    assert _call(cds_client, token).status_code == 200
    replay = _call(cds_client, token)
    assert replay.status_code == 401 and "replay" in replay.json()["detail"][0]["msg"]
    fresh_token_same_jti = sign(ehr_keys["ec"], aud=AUD, jti="one-time-value")
    assert _call(cds_client, fresh_token_same_jti).status_code == 401


def test_8_2_missing_claims_are_401(cds_client, ehr_keys):
    for claim in ("jti", "iat", "exp", "iss", "aud"):
        kwargs = {"aud": AUD, "drop": (claim,)}
        assert _call(cds_client, sign(ehr_keys["ec"], **kwargs)).status_code == 401, claim


def test_8_2_unknown_issuer_is_401(cds_client, ehr_keys):
    response = _call(cds_client, sign(ehr_keys["ec"], aud=AUD, iss="https://attacker.example"))
    assert response.status_code == 401 and "iss" in response.json()["detail"][0]["msg"]


def test_8_2_unknown_key_is_401(cds_client, ehr_keys):
    assert _call(cds_client, sign(ehr_keys["stranger"], aud=AUD, kid="unknown-kid")).status_code == 401
    # A stranger's key presented under a trusted kid fails the signature.
    forged = _call(cds_client, sign(ehr_keys["stranger"], aud=AUD, kid="ehr-ec"))
    assert forged.status_code == 401 and forged.json()["detail"][0]["msg"] == "JWT signature does not verify"


def test_8_2_1_hs256_is_401_even_with_the_public_key_as_secret(cds_client, ehr_keys):
    """The classic confusion attack: HMAC keyed with the EHR's public key must not pass."""
    from cryptography.hazmat.primitives import serialization

    public_pem = (
        ehr_keys["ec"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    now = int(time.time())
    claims = {"iss": "https://ehr.example.org", "aud": AUD, "iat": now, "exp": now + 300, "jti": "hs"}
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": "ehr-ec"})
    import hashlib
    import hmac

    signing_input = f"{header}.{_b64(claims)}"
    signature = (
        base64.urlsafe_b64encode(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
        .rstrip(b"=")
        .decode()
    )
    response = _call(cds_client, f"{signing_input}.{signature}")
    assert response.status_code == 401 and "HS256" in response.json()["detail"][0]["msg"]
    assert (
        _call(
            cds_client,
            jwt.encode(claims | {"jti": "hs2"}, "shared-secret", algorithm="HS256", headers={"kid": "ehr-ec"}),
        ).status_code
        == 401
    )


def test_8_2_1_alg_none_is_401(cds_client):
    now = int(time.time())
    claims = {"iss": "https://ehr.example.org", "aud": AUD, "iat": now, "exp": now + 300, "jti": "none"}
    for alg in ("none", "None", "NONE"):
        token = f"{_b64({'alg': alg, 'typ': 'JWT', 'kid': 'ehr-ec'})}.{_b64(claims)}."
        assert _call(cds_client, token).status_code == 401


def test_8_2_1_other_asymmetric_algorithms_are_not_accepted(cds_client, ehr_keys):
    """Only ES384 and RS384: an ES256-labelled token under the P-384 key is refused by name."""
    assert _call(cds_client, sign(ehr_keys["rsa"], aud=AUD, kid="ehr-rsa", alg="RS256")).status_code == 401
    assert _call(cds_client, sign(ehr_keys["rsa"], aud=AUD, kid="ehr-rsa", alg="PS384")).status_code == 401
    assert (
        _call(cds_client, sign(ehr_keys["ec"], aud=AUD, kid="ehr-rsa", alg="ES384")).status_code == 401
    )  # EC token, RSA kid


def test_8_2_token_lifetime_is_bounded(cds_client, ehr_keys):
    assert _call(cds_client, sign(ehr_keys["ec"], aud=AUD, lifetime=7 * 24 * 3600)).status_code == 401


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.text(min_size=0, max_size=300).filter(lambda s: not set(s) & {"\n", "\r", "\x00"}))
def test_8_2_any_other_bearer_value_is_401_never_500(cds_client, garbage):
    response = cds_client.post(
        PATIENT_VIEW, json=patient_view_call(), headers={"Authorization": f"Bearer {garbage}".encode()}
    )
    assert response.status_code == 401


def test_8_2_jwks_refuses_private_keys_and_skips_symmetric_ones(tmp_path, ehr_keys):
    import pytest

    from her2gc.errors import InputError
    from her2gc.service.cds_auth import keys_from_jwks

    private = json.loads(jwt.algorithms.ECAlgorithm(jwt.algorithms.ECAlgorithm.SHA384).to_jwk(ehr_keys["ec"]))
    with pytest.raises(InputError, match="holds a private key"):
        keys_from_jwks({"keys": [private | {"kid": "oops"}]}, "jwks.json")
    with pytest.raises(InputError, match="no ES384 or RS384 signing key"):
        keys_from_jwks({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}]}, "jwks.json")
