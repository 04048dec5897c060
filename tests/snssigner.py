"""Amazon SNS as the tests need it: a certificate of our own, served by a real HTTP
server on loopback, and messages signed with its key exactly as SNS signs them."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from buzon.mail.inbound.sns import string_to_sign

_DIGESTS = {"1": hashes.SHA1, "2": hashes.SHA256}


def make_certificate(key: rsa.RSAPrivateKey, *, days: int = 30) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    return certificate.public_bytes(serialization.Encoding.PEM)


class SnsSigner:
    """Signs SNS messages; `cert_url` is where its certificate is served."""

    def __init__(self, cert_url: str, key: rsa.RSAPrivateKey) -> None:
        self.cert_url = cert_url
        self.key = key

    def sign(self, message: dict, *, version: str = "1") -> dict:
        signed = {**message, "SignatureVersion": version, "SigningCertURL": self.cert_url}
        raw = self.key.sign(string_to_sign(signed), padding.PKCS1v15(), _DIGESTS[version]())
        signed["Signature"] = base64.b64encode(raw).decode()
        return signed


@contextmanager
def serving_certificate(pem: bytes) -> Iterator[str]:
    """Serve `pem` at http://127.0.0.1:PORT/SimpleNotificationService-test.pem."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            found = self.path == "/SimpleNotificationService-test.pem"
            self.send_response(200 if found else 404)
            self.end_headers()
            if found:
                self.wfile.write(pem)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/SimpleNotificationService-test.pem"
    finally:
        server.shutdown()
        server.server_close()
