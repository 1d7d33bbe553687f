"""Secrets iris must use again later (a webhook's signing secret) are kept sealed, never in clear.

A Fernet key (AES-128-CBC with HMAC-SHA256, a fresh IV each time) is derived from IRIS_SECRET_KEY with HKDF-SHA256
under a fixed label, so the same IRIS_SECRET_KEY opens what any worker or process sealed, and nothing else does.
Changing IRIS_SECRET_KEY makes the sealed secrets unreadable: each webhook's secret must then be set again.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

WEBHOOK_SECRETS = b"iris webhook secrets"


class SealBroken(Exception):
    """A sealed value that this key cannot open: sealed under another IRIS_SECRET_KEY, or damaged."""


class Sealer:
    def __init__(self, secret_key: str, label: bytes = WEBHOOK_SECRETS):
        if not secret_key:
            raise ValueError("a Sealer needs a secret key")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, text: str) -> bytes:
        return self._fernet.encrypt(text.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(bytes(sealed)).decode("utf-8")
        except InvalidToken:
            raise SealBroken("sealed under another IRIS_SECRET_KEY, or damaged") from None

    def __repr__(self) -> str:
        return "Sealer(...)"  # never the key
