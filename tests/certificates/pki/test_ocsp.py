"""Tests for certificates.pki.ocsp: the delegated responder certificate and the signed answers."""

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID
from pkilint import loader, pkix
from pkilint.pkix import extension, name
from pkilint.pkix import ocsp as pkilint_ocsp
from pkilint.validation import ValidationFindingSeverity

from certificates import pki
from certificates.pki import ocsp as pki_ocsp
from tests.certificates.pki.conftest import ext


@pytest.fixture(scope="module")
def responder(chain):
    key = pki.generate_private_key("ec-p256")
    cert = pki_ocsp.create_responder_certificate(
        key=key, issuer_key=chain.issuing_key, issuer_cert=chain.issuing, now=chain.now
    )
    return key, cert


def request_for(chain, *, serial=None, algorithm=hashes.SHA1(), nonce=None, issuer=None):
    issuer = issuer or chain.issuing
    name_hash, key_hash = pki_ocsp.issuer_hashes(issuer, algorithm)
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        name_hash, key_hash, chain.ee.serial_number if serial is None else serial, algorithm
    )
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build()


def answer(chain, responder, request, **kwargs):
    key, cert = responder
    kwargs.setdefault("status", pki_ocsp.CertStatus.GOOD)
    der = pki_ocsp.response_build(
        request=request, responder_key=key, responder_cert=cert, this_update=chain.now,
        next_update=chain.now + pki_ocsp.RESPONSE_VALIDITY, nonce=pki_ocsp.request_nonce(request),
        **kwargs,
    )
    return der, ocsp.load_der_ocsp_response(der)


def pkilint_findings(der: bytes, threshold=ValidationFindingSeverity.WARNING) -> list[str]:
    validator = pkilint_ocsp.create_pkix_ocsp_response_validator_container(
        [
            pkilint_ocsp.create_response_decoder(),
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [],
    )
    document = loader.RFC6960OCSPResponseDocumentLoader().load_der_document(der, "response")
    return [
        f"{finding.finding.code} ({finding.finding.severity.name}): {finding.message}"
        for result in validator.validate(document.root)
        for finding in result.finding_descriptions
        if finding.finding.severity <= threshold
    ]


def test_responder_certificate_is_a_short_lived_delegated_ocsp_signer(chain, responder):
    key, cert = responder
    assert ext(cert, x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.OCSP_SIGNING]
    )
    assert ext(cert, x509.OCSPNoCheck).critical is False
    assert ext(cert, x509.BasicConstraints).value.ca is False
    assert ext(cert, x509.KeyUsage).value.digital_signature is True
    assert cert.issuer == chain.issuing.subject
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=7)
    cert.verify_directly_issued_by(chain.issuing)


def test_good_answer_echoes_the_certid_nonce_and_times(chain, responder):
    request = request_for(chain, nonce=b"0123456789abcdef")
    der, response = answer(chain, responder, request)
    assert response.response_status is ocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status is ocsp.OCSPCertStatus.GOOD
    assert response.serial_number == chain.ee.serial_number
    assert (response.issuer_name_hash, response.issuer_key_hash) == (
        request.issuer_name_hash, request.issuer_key_hash)
    assert response.this_update_utc == chain.now
    assert response.next_update_utc == chain.now + pki_ocsp.RESPONSE_VALIDITY
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == (
        b"0123456789abcdef")
    assert response.certificates == [responder[1]]
    assert response.responder_key_hash == ext(responder[1], x509.SubjectKeyIdentifier).value.digest
    responder[1].public_key().verify(
        response.signature, response.tbs_response_bytes,
        *(() if isinstance(responder[0], pki_ocsp.rsa.RSAPrivateKey) else
          (pki_ocsp.ec.ECDSA(response.signature_hash_algorithm),)),
    )
    assert pkilint_findings(der) == []


def test_without_a_nonce_the_answer_has_none(chain, responder):
    _, response = answer(chain, responder, request_for(chain))
    assert list(response.extensions) == []


@pytest.mark.parametrize("reason", [x509.ReasonFlags.key_compromise,
                                    x509.ReasonFlags.certificate_hold])
def test_revoked_answer_carries_time_and_reason(chain, responder, reason):
    revoked_at = chain.now - timedelta(minutes=5)
    der, response = answer(chain, responder, request_for(chain),
                           status=pki_ocsp.CertStatus.REVOKED, revoked_at=revoked_at,
                           reason=reason)
    assert response.certificate_status is ocsp.OCSPCertStatus.REVOKED
    assert response.revocation_time_utc == revoked_at
    assert response.revocation_reason is reason
    assert pkilint_findings(der) == []


def test_unspecified_reason_is_left_out_as_on_the_crl(chain, responder):
    _, response = answer(chain, responder, request_for(chain), status=pki_ocsp.CertStatus.REVOKED,
                         revoked_at=chain.now, reason=x509.ReasonFlags.unspecified)
    assert response.revocation_reason is None


def test_revoked_without_a_time_is_refused(chain, responder):
    with pytest.raises(ValueError, match="revoked_at"):
        answer(chain, responder, request_for(chain), status=pki_ocsp.CertStatus.REVOKED)


def test_unknown_answer_and_sha256_certid(chain, responder):
    der, response = answer(chain, responder, request_for(chain, serial=12345,
                                                         algorithm=hashes.SHA256()),
                           status=pki_ocsp.CertStatus.UNKNOWN)
    assert response.certificate_status is ocsp.OCSPCertStatus.UNKNOWN
    assert response.serial_number == 12345
    assert isinstance(response.hash_algorithm, hashes.SHA256)
    assert pkilint_findings(der) == []


def test_issuer_hashes_match_what_cryptography_puts_in_a_request(chain):
    for algorithm in (hashes.SHA1(), hashes.SHA256()):
        request = ocsp.OCSPRequestBuilder().add_certificate(
            chain.ee, chain.issuing, algorithm).build()
        assert pki_ocsp.issuer_hashes(chain.issuing, algorithm) == (
            request.issuer_name_hash, request.issuer_key_hash)


def test_a_request_about_another_ca_is_unauthorized(chain):
    request = request_for(chain, issuer=chain.root)
    with pytest.raises(pki_ocsp.RequestRefused) as refused:
        pki_ocsp.request_check_issuer(request, chain.issuing)
    assert refused.value.response_status is ocsp.OCSPResponseStatus.UNAUTHORIZED
    pki_ocsp.request_check_issuer(request_for(chain), chain.issuing)  # ours passes


@pytest.mark.parametrize("der", [b"", b"\x30\x03\x02\x01\x01", b"not der at all", b"\x30" * 40])
def test_unreadable_requests_are_malformed(der):
    with pytest.raises(pki_ocsp.RequestRefused) as refused:
        pki_ocsp.request_load(der)
    assert refused.value.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_request_load_reads_a_good_request(chain):
    request = request_for(chain, nonce=b"n" * 16)
    loaded = pki_ocsp.request_load(request.public_bytes(serialization.Encoding.DER))
    assert loaded.serial_number == chain.ee.serial_number
    assert pki_ocsp.request_nonce(loaded) == b"n" * 16


def test_error_response_is_unsigned_status_only():
    response = ocsp.load_der_ocsp_response(
        pki_ocsp.error_response(ocsp.OCSPResponseStatus.MALFORMED_REQUEST))
    assert response.response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


def test_the_lint_helper_does_report_a_broken_response(chain, responder):
    # So that "no findings" above means something: an answer that ends before it starts.
    key, cert = responder
    der = pki_ocsp.response_build(
        request=request_for(chain), responder_key=key, responder_cert=cert,
        status=pki_ocsp.CertStatus.GOOD, this_update=chain.now,
        next_update=chain.now - timedelta(hours=1),
    )
    assert any("ocsp_negative_validity_period" in f for f in pkilint_findings(der))
