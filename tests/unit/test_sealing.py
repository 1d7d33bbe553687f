"""Sealed secrets (iris/sealing.py): only the same IRIS_SECRET_KEY opens them, and nothing of them shows."""

import pytest

from iris.sealing import SealBroken, Sealer

KEY = "k3y-of-the-server-" + "x" * 30


def test_what_is_sealed_opens_again_with_the_same_key_in_another_sealer():
    for secret in ("a signing secret of some length", "ünïcödé ✓ and spaces  ", "s" * 256):
        assert Sealer(KEY).open(Sealer(KEY).seal(secret)) == secret


def test_another_key_cannot_open_it():
    sealed = Sealer(KEY).seal("a signing secret of some length")
    with pytest.raises(SealBroken):
        Sealer(KEY + "!").open(sealed)


def test_the_key_is_derived_for_webhook_secrets_alone():
    sealed = Sealer(KEY).seal("a signing secret of some length")
    with pytest.raises(SealBroken):
        Sealer(KEY, label=b"iris something else").open(sealed)


def test_each_seal_differs_and_shows_nothing_of_the_secret():
    sealer, secret = Sealer(KEY), "a signing secret of some length"
    first, second = sealer.seal(secret), sealer.seal(secret)
    assert first != second
    assert secret.encode() not in first and secret.encode().hex().encode() not in first
    assert isinstance(first, bytes) and sealer.open(second) == secret


def test_a_damaged_seal_is_refused_and_an_empty_key_is_no_key():
    sealed = bytearray(Sealer(KEY).seal("a signing secret of some length"))
    sealed[-5] ^= 1
    with pytest.raises(SealBroken):
        Sealer(KEY).open(bytes(sealed))
    with pytest.raises(ValueError):
        Sealer("")
    assert KEY not in repr(Sealer(KEY))
