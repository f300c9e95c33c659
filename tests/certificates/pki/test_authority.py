"""Tests for certificates.pki.authority: the root and issuing CAs and the serials they assign."""

from datetime import datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from certificates import pki
from tests.certificates.pki.conftest import ext


def test_random_serial_is_positive_wide_and_fits_20_octets():
    sample = [pki.random_serial() for _ in range(2000)]
    assert len(set(sample)) == len(sample)
    assert all(serial > 0 for serial in sample)
    assert all(serial.bit_length() == 159 for serial in sample)
    # 20 octets in DER: no leading zero octet is needed below 2**159.
    assert all(serial < 2**159 for serial in sample)
    # Entropy spread over the low bits, not just a wide number: every one of the low 64 bits
    # takes both values somewhere in the sample, and the low 64 bits alone are all distinct.
    low = [serial & (2**64 - 1) for serial in sample]
    assert len(set(low)) == len(sample)
    ones = zeros = 0
    for value in low:
        ones |= value
        zeros |= ~value & (2**64 - 1)
    assert ones == zeros == 2**64 - 1


def test_ca_names_are_clearly_a_simulation(chain):
    assert chain.root.subject.rfc4514_string() == (
        "CN=CertCenter Sim Root CA,OU=Simulation,O=CertCenter,C=KR"
    )
    assert chain.issuing.subject.rfc4514_string() == (
        "CN=CertCenter Sim CA Class 1,OU=Simulation,O=CertCenter,C=KR"
    )
    assert pki.ca_name("X").rfc4514_string() == "CN=X,OU=Simulation,O=CertCenter,C=KR"


def test_root_ca_extensions(chain):
    root = chain.root
    assert root.version == x509.Version.v3
    assert root.issuer == root.subject
    root.verify_directly_issued_by(root)
    assert isinstance(root.signature_hash_algorithm, hashes.SHA256)
    constraints = ext(root, x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca is True
    assert constraints.value.path_length == 1
    usage = ext(root, x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign and usage.value.crl_sign
    assert not (usage.value.digital_signature or usage.value.content_commitment)
    ski = ext(root, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(chain.root_key.public_key())
    assert ext(root, x509.AuthorityKeyIdentifier).value.key_identifier == ski.digest
    assert root.not_valid_after_utc - root.not_valid_before_utc == timedelta(days=3650)


def test_issuing_ca_extensions(chain):
    issuing = chain.issuing
    assert issuing.issuer == chain.root.subject
    issuing.verify_directly_issued_by(chain.root)
    assert isinstance(issuing.signature_hash_algorithm, hashes.SHA256)
    constraints = ext(issuing, x509.BasicConstraints)
    assert constraints.critical
    assert (constraints.value.ca, constraints.value.path_length) == (True, 0)
    usage = ext(issuing, x509.KeyUsage)
    assert usage.critical
    assert usage.value.key_cert_sign and usage.value.crl_sign
    assert ext(issuing, x509.SubjectKeyIdentifier).value == (
        x509.SubjectKeyIdentifier.from_public_key(chain.issuing_key.public_key())
    )
    root_ski = ext(chain.root, x509.SubjectKeyIdentifier).value.digest
    assert ext(issuing, x509.AuthorityKeyIdentifier).value.key_identifier == root_ski
    assert issuing.serial_number != chain.root.serial_number


def test_ca_creation_rejects_naive_datetimes():
    key = pki.generate_private_key("ec-p256")
    with pytest.raises(ValueError, match="timezone-aware"):
        pki.create_root_ca(key=key, now=datetime(2026, 1, 1), validity_days=10)
