"""Webhooks' pure parts: which addresses a delivery may reach, the URL's checks, the sealed
secret (tamper and key change detected), and the signature the reference implementation verifies."""

from __future__ import annotations

import ipaddress
import time

import pytest
import standardwebhooks

from confman.lib.errors import FieldError
from confman.webhooks.addresses import check_url, refusal
from confman.webhooks.secrets import SealBroken, new_secret, seal, signature, unseal


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.0.0.1", "172.16.5.4", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",  # noqa: S104
     "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
     "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "2002:a9fe:a9fe::1", "198.18.0.1", "192.0.2.1"],
)  # fmt: skip
def test_non_public_addresses_are_refused(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address)) is None


def test_urls() -> None:
    assert check_url(" https://hooks.example.org/in?x=1 ", allow_http=False, allow_private=False) == (
        "https://hooks.example.org/in?x=1"
    )
    assert check_url("http://127.0.0.1:9/x", allow_http=True, allow_private=True) == "http://127.0.0.1:9/x"
    for url in ("ftp://hooks.example.org/", "https://[::1]/", "https://LOCALHOST./", "https://h.example/#f"):
        with pytest.raises(FieldError) as refused:
            check_url(url, allow_http=True, allow_private=False)
        assert refused.value.field == "url"


def test_a_sealed_secret_opens_with_its_key_only_and_detects_tampering() -> None:
    secret = new_secret()
    sealed = seal(secret, "k" * 32)
    assert secret not in sealed
    assert seal(secret, "k" * 32) != sealed  # a fresh nonce each time
    assert unseal(sealed, "k" * 32) == secret
    with pytest.raises(SealBroken):
        unseal(sealed, "other-key-of-32-characters-long!")
    flipped = sealed[:-5] + ("A" if sealed[-5] != "A" else "B") + sealed[-4:]
    with pytest.raises(SealBroken):
        unseal(flipped, "k" * 32)


def test_the_signature_is_what_standard_webhooks_verifies() -> None:
    secret = new_secret()
    body = b'{"type":"registration.created","data":{"registration_id":1,"conference":"x"}}'
    now = int(time.time())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": signature(secret, "msg_1", now, body),
    }
    assert standardwebhooks.Webhook(secret).verify(body, headers)["data"]["registration_id"] == 1
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook(secret).verify(body + b" ", headers)
