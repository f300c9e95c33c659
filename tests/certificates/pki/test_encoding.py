"""Tests for certificates.pki.encoding: PEM and DER round trips and the fingerprint."""

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from certificates import pki


def test_certificate_encodings_round_trip(chain):
    pem = pki.certificate_pem(chain.ee)
    der = pki.certificate_der(chain.ee)
    assert pem.startswith("-----BEGIN CERTIFICATE-----\n")
    assert der[0] == 0x30
    assert pki.load_certificate(pem.encode()) == chain.ee
    assert pki.load_certificate(der) == chain.ee
    fingerprint = pki.fingerprint_sha256(chain.ee)
    assert fingerprint == chain.ee.fingerprint(hashes.SHA256()).hex(":").upper()
    assert len(fingerprint) == 32 * 3 - 1


def test_crl_der_is_what_a_distribution_point_serves(chain):
    crl = pki.build_crl(
        issuer_key=chain.issuing_key,
        issuer_cert=chain.issuing,
        revoked=[(1001, chain.now, x509.ReasonFlags.key_compromise)],
        last_update=chain.now,
        next_update=chain.now + timedelta(days=1),
        crl_number=3,
    )
    der = pki.crl_der(crl)
    assert der[0] == 0x30
    assert x509.load_der_x509_crl(der) == crl
