"""The endpoints' signing secrets and the Standard Webhooks signature.

A secret is ``whsec_`` + base64 of 32 random bytes, generated here and answered once (at
creation and at each rotation). It must be recoverable to sign, so it is stored sealed rather
than hashed: AES-256-GCM (``cryptography``) with a key derived from the deployment's
``secret_key`` by HKDF-SHA256 and a fresh 96-bit nonce per secret. A database dump alone
therefore reveals no secret; whoever has both the dump and ``secret_key`` has them all (as they
could forge sessions too). Changing ``secret_key`` makes the stored secrets unreadable: rotate
each endpoint's secret.
Secrets never reach a log, an answer other than those two, or an event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "whsec_"
SECRET_BYTES = 32
_NONCE = 12
_VERSION = "v1"
_PURPOSE = b"confman webhook secret"


class SealBroken(Exception):
    """The sealed secret was not sealed with this ``secret_key`` (or was altered)."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _cipher(secret_key: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(secret_key.encode("utf-8"))
    return AESGCM(key)


def seal(secret: str, secret_key: str) -> str:
    nonce = secrets.token_bytes(_NONCE)
    sealed = _cipher(secret_key).encrypt(nonce, secret.encode("utf-8"), _VERSION.encode())
    return _VERSION + "." + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def unseal(sealed: str, secret_key: str) -> str:
    version, _, data = sealed.partition(".")
    try:
        raw = base64.urlsafe_b64decode(data.encode("ascii"))
    except ValueError as error:
        raise SealBroken("not a sealed secret") from error
    if version != _VERSION or len(raw) <= _NONCE + 16:
        raise SealBroken("not a sealed secret")
    try:
        plain = _cipher(secret_key).decrypt(raw[:_NONCE], raw[_NONCE:], version.encode())
    except InvalidTag as error:
        raise SealBroken("sealed with another secret_key, or altered") from error
    return plain.decode("utf-8")


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``
    keyed with the secret's bytes (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")
