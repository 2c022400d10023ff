"""The endpoints' signing secrets and the Standard Webhooks signature.

A secret is ``whsec_`` + base64 of 32 random bytes, generated here and answered once (at
creation and at each rotation). It must be recoverable to sign, so it is stored sealed rather
than hashed: encrypted with a key derived from the deployment's ``secret_key`` (HMAC-SHA256 as
a PRF in counter mode, a fresh 16-byte nonce per secret) and authenticated (encrypt-then-MAC,
HMAC-SHA256 with a second derived key). A database dump alone therefore reveals no secret;
whoever has both the dump and ``secret_key`` has them all (as they could forge sessions too).
Changing ``secret_key`` makes the stored secrets unreadable: rotate each endpoint's secret.
Secrets never reach a log, an answer other than those two, or an event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
SECRET_BYTES = 32
_NONCE = 16
_TAG = 32
_VERSION = "v1"


class SealBroken(Exception):
    """The sealed secret was not sealed with this ``secret_key`` (or was altered)."""


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret_key: str, purpose: bytes) -> bytes:
    return hmac.new(secret_key.encode("utf-8"), b"confman webhook secret " + purpose, hashlib.sha256).digest()


def _xor(data: bytes, key: bytes, nonce: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, _keystream(key, nonce, len(data)), strict=True))


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (length + 31) // 32
    return b"".join(
        hmac.new(key, nonce + counter.to_bytes(4, "big"), hashlib.sha256).digest() for counter in range(blocks)
    )[:length]


def seal(secret: str, secret_key: str) -> str:
    plain = secret.encode("utf-8")
    nonce = secrets.token_bytes(_NONCE)
    cipher = _xor(plain, _key(secret_key, b"encryption"), nonce)
    tag = hmac.new(_key(secret_key, b"mac"), _VERSION.encode() + nonce + cipher, hashlib.sha256).digest()
    return _VERSION + "." + base64.urlsafe_b64encode(nonce + cipher + tag).decode("ascii")


def unseal(sealed: str, secret_key: str) -> str:
    version, _, data = sealed.partition(".")
    try:
        raw = base64.urlsafe_b64decode(data.encode("ascii"))
    except ValueError as error:
        raise SealBroken("not a sealed secret") from error
    if version != _VERSION or len(raw) < _NONCE + _TAG:
        raise SealBroken("not a sealed secret")
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    expected = hmac.new(_key(secret_key, b"mac"), version.encode() + nonce + cipher, hashlib.sha256).digest()
    if not hmac.compare_digest(tag, expected):
        raise SealBroken("sealed with another secret_key, or altered")
    plain = _xor(cipher, _key(secret_key, b"encryption"), nonce)
    return plain.decode("utf-8")


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header: ``v1,`` + base64 HMAC-SHA256 of ``{id}.{timestamp}.{body}``
    keyed with the secret's bytes (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix(PREFIX))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode("ascii")
