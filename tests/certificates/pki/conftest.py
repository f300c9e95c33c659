"""A real two-tier chain with one 금융인증서 under it, built once per key type, and openssl to check it."""

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509

from certificates import pki

OPENSSL = shutil.which("openssl")
requires_openssl = pytest.mark.skipif(OPENSSL is None, reason="openssl command not installed")

RRN = "9001011234567"
REAL_NAME = "홍길동"
CRL_URL = "http://certcenter.test/pki/crl/class1.crl"
CA_ISSUERS_URL = "http://certcenter.test/pki/ca/class1.crt"
CPS_URI = "http://certcenter.test/pki/cps"


@dataclass
class Chain:
    root_key: pki.PrivateKey
    root: x509.Certificate
    issuing_key: pki.PrivateKey
    issuing: x509.Certificate
    ee_key: pki.PrivateKey
    ee: x509.Certificate
    random_r: bytes
    now: datetime


def issue(issuer_key, issuer_cert, *, public_key, now, random_r=None):
    """Issue a certificate to 홍길동 (RRN) the way the domain layer will."""
    random_r = random_r or pki.new_vid_random()
    return pki.build_end_entity_certificate(
        issuer_key=issuer_key,
        issuer_cert=issuer_cert,
        public_key=public_key,
        subject=pki.end_entity_subject(
            organization="CertCenter Bank",
            bank_code="KB",
            name=REAL_NAME,
            serial_suffix="0041234567890123456",
        ),
        serial=pki.random_serial(),
        not_before=now - timedelta(minutes=1),
        not_after=now + timedelta(days=365),
        policy_oid=pki.FINANCIAL_CERTIFICATE_POLICY_OID,
        cps_uri=CPS_URI,
        crl_url=CRL_URL,
        ca_issuers_url=CA_ISSUERS_URL,
        real_name=REAL_NAME,
        vid=pki.compute_vid(rrn=RRN, random_r=random_r),
    )


def build_chain(key_type: str, ee_key_type: str | None = None) -> Chain:
    # Real time, so that openssl verify accepts the chain right now.
    now = datetime.now(UTC).replace(microsecond=0)
    root_key = pki.generate_private_key(key_type)
    root = pki.create_root_ca(key=root_key, now=now - timedelta(hours=1), validity_days=3650)
    issuing_key = pki.generate_private_key(key_type)
    issuing = pki.create_issuing_ca(
        key=issuing_key,
        root_key=root_key,
        root_cert=root,
        now=now - timedelta(hours=1),
        validity_days=1825,
    )
    ee_key = pki.generate_private_key(ee_key_type or key_type)
    random_r = pki.new_vid_random()
    ee = issue(issuing_key, issuing, public_key=ee_key.public_key(), now=now, random_r=random_r)
    return Chain(root_key, root, issuing_key, issuing, ee_key, ee, random_r, now)


# Built once per key type for the whole package: RSA key generation is the slow part.
@pytest.fixture(scope="package", params=pki.KEY_TYPES)
def chain(request) -> Chain:
    return build_chain(request.param)


def ext(cert, extension_class) -> x509.Extension:
    return cert.extensions.get_extension_for_class(extension_class)


def openssl(*args, cwd):
    return subprocess.run([OPENSSL, *args], capture_output=True, text=True, cwd=cwd, check=False)


def write_chain(tmp_path, chain, **certs):
    (tmp_path / "root.pem").write_text(pki.certificate_pem(chain.root))
    (tmp_path / "issuing.pem").write_text(pki.certificate_pem(chain.issuing))
    for name, cert in certs.items():
        (tmp_path / f"{name}.pem").write_text(pki.certificate_pem(cert))


VERIFY = ("verify", "-x509_strict", "-CAfile", "root.pem", "-untrusted", "issuing.pem")
