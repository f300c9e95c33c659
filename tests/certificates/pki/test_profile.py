"""Tests for certificates.pki.profile: the 금융인증서 subject and extensions, parsed back and
checked with openssl; renewal signs the same key and binding again under the profile."""

from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, ObjectIdentifier

from certificates import pki
from tests.certificates.pki.conftest import (
    CA_ISSUERS_URL,
    CPS_URI,
    CRL_URL,
    REAL_NAME,
    RRN,
    VERIFY,
    build_chain,
    ext,
    openssl,
    requires_openssl,
    write_chain,
)


def test_end_entity_subject_has_the_financial_certificate_shape():
    subject = pki.end_entity_subject(
        organization="CertCenter Bank", bank_code="KB", name="홍길동", serial_suffix="0041234"
    )
    assert [(a.oid, a.value) for a in subject] == [
        (x509.NameOID.COUNTRY_NAME, "KR"),
        (x509.NameOID.ORGANIZATION_NAME, "CertCenter Bank"),
        (x509.NameOID.ORGANIZATIONAL_UNIT_NAME, "personal4IB"),
        (x509.NameOID.ORGANIZATIONAL_UNIT_NAME, "KB"),
        (x509.NameOID.COMMON_NAME, "홍길동()0041234"),
    ]
    assert len(subject.rdns) == 5


def test_end_entity_certificate_extensions(chain):
    ee = chain.ee
    assert ee.version == x509.Version.v3
    assert ee.issuer == chain.issuing.subject
    ee.verify_directly_issued_by(chain.issuing)
    assert isinstance(ee.signature_hash_algorithm, hashes.SHA256)
    assert ee.public_key() == chain.ee_key.public_key()
    assert ee.subject.rfc4514_string() == (
        "CN=홍길동()0041234567890123456,OU=KB,OU=personal4IB,O=CertCenter Bank,C=KR"
    )
    # The Korean CN is a UTF8String (tag 0x0c) in the encoded certificate.
    cn = "홍길동()0041234567890123456".encode()
    assert bytes([0x0C, len(cn)]) + cn in ee.tbs_certificate_bytes
    assert ee.not_valid_after_utc - ee.not_valid_before_utc == timedelta(days=365, minutes=1)

    assert {e.oid for e in ee.extensions} == {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
    }
    constraints = ext(ee, x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca is False
    assert constraints.value.path_length is None

    usage = ext(ee, x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature is True
    assert usage.value.content_commitment is True
    assert not any(
        getattr(usage.value, flag)
        for flag in (
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
        )
    )

    ski = ext(ee, x509.SubjectKeyIdentifier)
    assert not ski.critical
    assert ski.value == x509.SubjectKeyIdentifier.from_public_key(chain.ee_key.public_key())
    aki = ext(ee, x509.AuthorityKeyIdentifier)
    assert not aki.critical
    assert aki.value.key_identifier == ext(chain.issuing, x509.SubjectKeyIdentifier).value.digest

    policies = ext(ee, x509.CertificatePolicies)
    assert not policies.critical
    [policy] = policies.value
    assert policy.policy_identifier == ObjectIdentifier("1.2.410.200005.1.1.1.10")
    assert policy.policy_qualifiers == [CPS_URI]

    [point] = ext(ee, x509.CRLDistributionPoints).value
    assert point.full_name == [x509.UniformResourceIdentifier(CRL_URL)]
    assert point.reasons is None and point.crl_issuer is None

    [access] = ext(ee, x509.AuthorityInformationAccess).value
    assert access.access_method == AuthorityInformationAccessOID.CA_ISSUERS
    assert access.access_location == x509.UniformResourceIdentifier(CA_ISSUERS_URL)

    san = ext(ee, x509.SubjectAlternativeName)
    assert not san.critical
    [other_name] = san.value
    assert isinstance(other_name, x509.OtherName)
    assert other_name.type_id == ObjectIdentifier("1.2.410.200004.10.1.1")


def test_policy_without_cps_has_no_qualifiers(chain):
    cert = pki.build_end_entity_certificate(
        issuer_key=chain.issuing_key,
        issuer_cert=chain.issuing,
        public_key=chain.ee_key.public_key(),
        subject=chain.ee.subject,
        serial=pki.random_serial(),
        not_before=chain.now,
        not_after=chain.now + timedelta(days=1),
        policy_oid="1.2.3.4",
        crl_url=CRL_URL,
        ca_issuers_url=CA_ISSUERS_URL,
        real_name=REAL_NAME,
        vid=bytes(32),
    )
    [policy] = ext(cert, x509.CertificatePolicies).value
    assert policy.policy_identifier.dotted_string == "1.2.3.4"
    assert policy.policy_qualifiers is None


def renew(chain, *, issuer_key, issuer_cert, not_before):
    """Renew chain.ee as the nightly renewal does: check the binding, then sign key and subject again."""
    vid = pki.compute_vid(rrn=RRN, random_r=chain.random_r)
    assert pki.binding_matches(cert_der=pki.certificate_der(chain.ee), real_name=REAL_NAME, vid=vid)
    profile = pki.EndEntityProfile(
        issuer_cert=issuer_cert, crl_url=CRL_URL, ca_issuers_url=CA_ISSUERS_URL, cps_uri=CPS_URI
    )
    return profile.build(
        issuer_key=issuer_key,
        public_key=chain.ee.public_key(),
        subject=chain.ee.subject,
        serial=pki.random_serial(),
        not_before=not_before,
        not_after=not_before + timedelta(days=365),
        real_name=REAL_NAME,
        vid=vid,
    )


def test_renew_keeps_key_subject_and_binding(chain):
    not_before = chain.now + timedelta(days=300)
    renewed = renew(
        chain, issuer_key=chain.issuing_key, issuer_cert=chain.issuing, not_before=not_before
    )
    renewed.verify_directly_issued_by(chain.issuing)
    assert renewed.serial_number != chain.ee.serial_number
    assert renewed.subject == chain.ee.subject
    assert renewed.public_key() == chain.ee.public_key()
    assert renewed.not_valid_before_utc == not_before
    assert renewed.not_valid_after_utc == not_before + timedelta(days=365)
    assert list(renewed.extensions) == list(chain.ee.extensions)
    vid = pki.compute_vid(rrn=RRN, random_r=chain.random_r)
    assert pki.binding_matches(cert_der=pki.certificate_der(renewed), real_name=REAL_NAME, vid=vid)
    assert pki.identity_binding(renewed) == pki.identity_binding(chain.ee)


def test_renew_under_a_new_issuing_ca_follows_the_new_issuer(chain):
    new_key = pki.generate_private_key("ec-p256")
    new_issuing = pki.create_issuing_ca(
        key=new_key,
        root_key=chain.root_key,
        root_cert=chain.root,
        common_name="CertCenter Sim CA Class 2",
        now=chain.now,
    )
    renewed = renew(chain, issuer_key=new_key, issuer_cert=new_issuing, not_before=chain.now)
    renewed.verify_directly_issued_by(new_issuing)
    assert renewed.issuer.rfc4514_string().startswith("CN=CertCenter Sim CA Class 2,")
    assert ext(renewed, x509.AuthorityKeyIdentifier).value.key_identifier == (
        ext(new_issuing, x509.SubjectKeyIdentifier).value.digest
    )
    assert ext(renewed, x509.SubjectKeyIdentifier) == ext(chain.ee, x509.SubjectKeyIdentifier)
    assert len(renewed.extensions) == len(chain.ee.extensions)


@requires_openssl
def test_openssl_verifies_the_chain(chain, tmp_path):
    write_chain(tmp_path, chain, ee=chain.ee)
    result = openssl(*VERIFY, "ee.pem", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ee.pem: OK"


@requires_openssl
def test_openssl_verifies_an_ec_key_under_an_rsa_ca(tmp_path):
    mixed = build_chain("rsa-2048", ee_key_type="ec-p256")
    write_chain(tmp_path, mixed, ee=mixed.ee)
    result = openssl(*VERIFY, "ee.pem", cwd=tmp_path)
    assert result.returncode == 0, result.stderr


@requires_openssl
def test_openssl_parses_the_extensions(chain, tmp_path):
    write_chain(tmp_path, chain, ee=chain.ee)
    text = openssl("x509", "-noout", "-text", "-in", "ee.pem", cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    out = text.stdout
    assert "othername: 1.2.410.200004.10.1.1" in out
    assert "Policy: 1.2.410.200005.1.1.1.10" in out
    assert f"CPS: {CPS_URI}" in out
    assert "Digital Signature, Non Repudiation" in out
    assert f"CA Issuers - URI:{CA_ISSUERS_URL}" in out
    assert f"URI:{CRL_URL}" in out
    assert "CA:FALSE" in out
    fingerprint = openssl(
        "x509", "-noout", "-fingerprint", "-sha256", "-in", "ee.pem", cwd=tmp_path
    )
    assert fingerprint.stdout.strip().split("=", 1)[1] == pki.fingerprint_sha256(chain.ee)
