"""Tests for certificates.pki.crl: the CRL parsed back, and openssl refusing what it revokes."""

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from certificates import pki
from tests.certificates.pki.conftest import VERIFY, ext, issue, openssl, requires_openssl, write_chain


def test_crl_lists_revoked_serials_with_reasons(chain):
    at = chain.now - timedelta(minutes=5)
    revoked = [
        (1001, at, x509.ReasonFlags.key_compromise),
        (1002, at - timedelta(days=1), x509.ReasonFlags.superseded),
        (1003, at, x509.ReasonFlags.unspecified),
        (1004, at, None),
        (chain.ee.serial_number, at, pki.REVOCATION_REASONS["cessation_of_operation"]),
    ]
    crl = pki.build_crl(
        issuer_key=chain.issuing_key,
        issuer_cert=chain.issuing,
        revoked=iter(revoked),
        last_update=chain.now,
        next_update=chain.now + timedelta(days=1),
        crl_number=42,
    )
    assert crl.is_signature_valid(chain.issuing.public_key())
    assert not crl.is_signature_valid(chain.root.public_key())
    assert crl.issuer == chain.issuing.subject
    assert isinstance(crl.signature_hash_algorithm, hashes.SHA256)
    assert crl.last_update_utc == chain.now
    assert crl.next_update_utc == chain.now + timedelta(days=1)
    assert crl.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number == 42
    assert crl.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value == (
        ext(chain.ee, x509.AuthorityKeyIdentifier).value
    )
    assert len(crl) == 5

    def reason_of(serial):
        entry = crl.get_revoked_certificate_by_serial_number(serial)
        try:
            return entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        except x509.ExtensionNotFound:
            return None

    assert reason_of(1001) == x509.ReasonFlags.key_compromise
    assert reason_of(1002) == x509.ReasonFlags.superseded
    assert reason_of(1003) is None  # RFC 5280: "unspecified" is left out.
    assert reason_of(1004) is None
    assert reason_of(chain.ee.serial_number) == x509.ReasonFlags.cessation_of_operation
    entry = crl.get_revoked_certificate_by_serial_number(1002)
    assert entry.revocation_date_utc == at - timedelta(days=1)
    assert crl.get_revoked_certificate_by_serial_number(999) is None


def test_empty_crl_is_valid(chain):
    crl = pki.build_crl(
        issuer_key=chain.issuing_key,
        issuer_cert=chain.issuing,
        revoked=[],
        last_update=chain.now,
        next_update=chain.now + timedelta(hours=6),
        crl_number=1,
    )
    assert len(crl) == 0
    assert crl.is_signature_valid(chain.issuing.public_key())


def test_revocation_reasons_cover_rfc_5280():
    assert pki.REVOCATION_REASONS["key_compromise"] is x509.ReasonFlags.key_compromise
    assert set(pki.REVOCATION_REASONS.values()) == set(x509.ReasonFlags)


@requires_openssl
def test_openssl_checks_the_crl(chain, tmp_path):
    kept = issue(
        chain.issuing_key, chain.issuing, public_key=chain.ee_key.public_key(), now=chain.now
    )
    revoked = issue(
        chain.issuing_key, chain.issuing, public_key=chain.ee_key.public_key(), now=chain.now
    )
    crl = pki.build_crl(
        issuer_key=chain.issuing_key,
        issuer_cert=chain.issuing,
        revoked=[(revoked.serial_number, chain.now, x509.ReasonFlags.key_compromise)],
        last_update=chain.now - timedelta(minutes=1),
        next_update=chain.now + timedelta(days=1),
        crl_number=7,
    )
    write_chain(tmp_path, chain, kept=kept, revoked=revoked)
    (tmp_path / "crl.pem").write_bytes(crl.public_bytes(serialization.Encoding.PEM))

    ok = openssl(*VERIFY, "-crl_check", "-CRLfile", "crl.pem", "kept.pem", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "kept.pem: OK"

    refused = openssl(*VERIFY, "-crl_check", "-CRLfile", "crl.pem", "revoked.pem", cwd=tmp_path)
    assert refused.returncode != 0
    assert "certificate revoked" in refused.stdout + refused.stderr

    parsed = openssl("crl", "-noout", "-text", "-in", "crl.pem", cwd=tmp_path)
    assert parsed.returncode == 0, parsed.stderr
    assert "Key Compromise" in parsed.stdout
    assert f"{revoked.serial_number:X}" in parsed.stdout
