"""Inbound tests: stored messages routed by the worker (in this process unless a test
says otherwise)."""

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from snssigner import SnsSigner, make_certificate, serving_certificate

from buzon.mail.inbound import sns


@pytest.fixture(scope="session")
def _sns_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def sns_signer(settings, _sns_key):
    """An SNS that signs with a key of ours, its certificate served on loopback, and
    Buzón told to accept certificates from there (instead of Amazon's addresses)."""
    with serving_certificate(make_certificate(_sns_key)) as url:
        settings.SNS_CERT_URL_PATTERN = r"http://127\.0\.0\.1:\d+/[A-Za-z0-9._-]+\.pem"
        sns._certificates.clear()
        yield SnsSigner(url, _sns_key)
        sns._certificates.clear()
