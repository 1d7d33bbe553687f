"""The Iris-Signature header (iris/outbound/signing.py), checked against an HMAC computed here independently."""

import hashlib
import hmac

from iris.outbound.signing import delivery_headers, signature_header, verify

SECRET = "whsec_test_0123456789"
BODY = b'{"event":"ticket.created","ticket":{"id":7,"title":"Printer on fire"}}'
T = 1767225600


def expected_mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), str(timestamp).encode("ascii") + b"." + body, hashlib.sha256).hexdigest()


def test_the_header_is_the_timestamp_and_the_hmac_of_timestamp_dot_body():
    assert signature_header(SECRET, T, BODY) == f"t={T},v1={expected_mac(SECRET, T, BODY)}"


def test_a_known_answer():
    # Computed outside Python: printf '1767225600.{"a":1}' | openssl dgst -sha256 -hmac secret
    known = "96a067a1c95eb143fc00b9097bcfcbcd5456adda508c443ff219748e764dbed7"
    assert signature_header("secret", T, b'{"a":1}') == f"t={T},v1={known}"
    assert expected_mac("secret", T, b'{"a":1}') == known


def test_the_delivery_headers():
    headers = delivery_headers(SECRET, BODY, delivery_id="d-42", event="ticket.created", timestamp=T)
    assert headers == {
        "Content-Type": "application/json",
        "User-Agent": "iris-webhooks/1",
        "Iris-Delivery": "d-42",
        "Iris-Event": "ticket.created",
        "Iris-Signature": f"t={T},v1={expected_mac(SECRET, T, BODY)}",
    }


def test_a_fresh_signature_verifies():
    assert verify(SECRET, BODY, signature_header(SECRET, T, BODY), now=T + 10)
    assert verify(SECRET, BODY, signature_header(SECRET, T, BODY), now=T - 10)  # a sender's clock a little ahead


def test_a_tampered_body_or_a_wrong_secret_fails():
    header = signature_header(SECRET, T, BODY)
    assert not verify(SECRET, BODY.replace(b"7", b"8"), header, now=T)
    assert not verify(SECRET, BODY + b" ", header, now=T)
    assert not verify("another secret", BODY, header, now=T)


def test_a_changed_timestamp_fails_even_within_the_window():
    mac = expected_mac(SECRET, T, BODY)
    assert not verify(SECRET, BODY, f"t={T + 1},v1={mac}", now=T)


def test_an_old_timestamp_fails_as_a_replay():
    header = signature_header(SECRET, T, BODY)
    assert verify(SECRET, BODY, header, now=T + 300)
    assert not verify(SECRET, BODY, header, now=T + 301)
    assert not verify(SECRET, BODY, header, now=T - 301)
    assert verify(SECRET, BODY, header, now=T + 3000, tolerance_s=3600)


def test_during_a_rotation_any_of_several_signatures_may_match():
    old, new = "old secret", "new secret"
    header = f"t={T},v1={expected_mac(new, T, BODY)},v1={expected_mac(old, T, BODY)}"
    assert verify(old, BODY, header, now=T)
    assert verify(new, BODY, header, now=T)
    assert not verify("third secret", BODY, header, now=T)


def test_malformed_headers_fail():
    mac = expected_mac(SECRET, T, BODY)
    for header in ("", f"v1={mac}", f"t={T}", f"t=abc,v1={mac}", f"t={T},v0={mac}", f"t={T},v1=é{mac}", "garbage"):
        assert not verify(SECRET, BODY, header, now=T), header
    assert not verify(SECRET, BODY, f"t={T}," + ",".join([f"v1={mac}"] * 100), now=T)  # unreasonably long
