"""Tests for certificates.pki.lint: pkilint's RFC 5280 findings and ours on the 금융인증서 profile,
the throwaway-key signature of what is about to be signed, and CRLs."""

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from certificates import pki
from certificates.pki import lint, profile
from certificates.pki.identity import IDENTIFY_DATA_OID
from tests.certificates.pki.conftest import CA_ISSUERS_URL, CRL_URL, REAL_NAME, RRN

POLICY = pki.FINANCIAL_CERTIFICATE_POLICY_OID


def codes(findings):
    return sorted({finding.code for finding in findings})


def lint_cert(cert, **expected):
    return pki.certificate_lint(pki.certificate_der(cert), policy_oid=POLICY, **expected)


def rebuilt(chain, *, drop=(), add=(), subject=None):
    """The chain's certificate again, signed by its issuer, without the ``drop`` extensions and
    with ``add`` ones (extension value, critical) — what a broken profile would have written."""
    builder = x509.CertificateBuilder(
        issuer_name=chain.ee.issuer, subject_name=subject or chain.ee.subject,
        public_key=chain.ee.public_key(), serial_number=chain.ee.serial_number,
        not_valid_before=chain.ee.not_valid_before_utc, not_valid_after=chain.ee.not_valid_after_utc,
    )
    replaced = {type(value).oid for value, _critical in add}
    for extension in chain.ee.extensions:
        if extension.oid not in drop and extension.oid not in replaced:
            builder = builder.add_extension(extension.value, extension.critical)
    for value, critical in add:
        builder = builder.add_extension(value, critical)
    return builder.sign(chain.issuing_key, pki.hashes.SHA256())


def profile_of(chain, **overrides):
    fields = {"issuer_cert": chain.issuing, "crl_url": CRL_URL, "ca_issuers_url": CA_ISSUERS_URL}
    return pki.EndEntityProfile(**{**fields, **overrides})


def builder_of(chain, the_profile=None, *, name=REAL_NAME, real_name=REAL_NAME):
    return (the_profile or profile_of(chain)).builder(
        public_key=chain.ee_key.public_key(),
        subject=pki.end_entity_subject(organization="CertCenter Bank", bank_code="004",
                                       name=name, serial_suffix="0040000000010001"),
        serial=pki.random_serial(), not_before=chain.now, not_after=chain.now + timedelta(days=365),
        real_name=real_name, vid=pki.compute_vid(rrn=RRN, random_r=chain.random_r),
    )


# -- A certificate of the profile lints clean ---------------------------------------------------

def test_a_certificate_of_the_profile_lints_clean(chain):
    assert lint_cert(chain.ee) == []
    assert lint_cert(chain.ee, organization="CertCenter Bank", bank_code="KB") == []


def test_what_the_profile_is_about_to_sign_lints_clean(chain):
    der = pki.tbs_for_lint(builder_of(chain), issuer_key=chain.issuing_key)
    assert pki.certificate_lint(der, policy_oid=POLICY, organization="CertCenter Bank",
                                bank_code="004") == []


def test_the_lint_copy_is_signed_by_a_throwaway_key_of_the_ca_keys_type(chain):
    builder = builder_of(chain)
    copy = pki.load_certificate(pki.tbs_for_lint(builder, issuer_key=chain.issuing_key))
    real = pki.EndEntityProfile.sign(builder, issuer_key=chain.issuing_key)
    # The same TBS but for the signature: same algorithm, another key.
    assert copy.signature_algorithm_oid == real.signature_algorithm_oid
    assert copy.tbs_certificate_bytes == real.tbs_certificate_bytes
    real.verify_directly_issued_by(chain.issuing)
    with pytest.raises(Exception):  # noqa: B017 - InvalidSignature or ValueError, by key type
        copy.verify_directly_issued_by(chain.issuing)
    # One throwaway key per key type, kept: a fresh RSA key per certificate costs ~100 ms.
    assert lint._throwaway_key(pki.key_type_of(chain.issuing_key.public_key())) is (
        lint._throwaway_key(pki.key_type_of(chain.issuing_key.public_key()))
    )


# -- pkilint's RFC 5280 findings, and ours ----------------------------------------------------

def test_key_usage_not_critical_is_found_by_pkilint_and_by_us(chain):
    usage = chain.ee.extensions.get_extension_for_class(x509.KeyUsage).value
    findings = lint_cert(rebuilt(chain, add=[(usage, False)]))
    assert codes(findings) == ["certcenter.key_usage", "pkix.key_usage_extension_not_critical"]
    assert {f.severity for f in findings} == {"WARNING", "ERROR"}


def test_key_usage_beyond_signing_is_found(chain):
    # keyEncipherment: ours forbids it on any key; pkilint too on an EC key.
    usage = x509.KeyUsage(True, True, True, False, False, False, False, False, False)
    assert "certcenter.key_usage" in codes(lint_cert(rebuilt(chain, add=[(usage, True)])))


def test_missing_key_usage_is_found(chain):
    assert "certcenter.key_usage" in codes(lint_cert(rebuilt(chain, drop={ExtensionOID.KEY_USAGE})))


def test_basic_constraints_not_critical_or_ca_is_found(chain):
    loose = rebuilt(chain, add=[(x509.BasicConstraints(ca=False, path_length=None), False)])
    assert codes(lint_cert(loose)) == ["certcenter.basic_constraints"]
    assert "certcenter.basic_constraints" in codes(
        lint_cert(rebuilt(chain, add=[(x509.BasicConstraints(ca=True, path_length=0), True)]))
    )


def test_another_policy_oid_is_found(chain):
    wrong = rebuilt(chain, add=[(x509.CertificatePolicies(
        [x509.PolicyInformation(x509.ObjectIdentifier("1.2.410.200005.1.1.1.99"), None)]
    ), False)])
    findings = lint_cert(wrong)
    assert codes(findings) == ["certcenter.certificate_policy"]
    assert "1.2.410.200005.1.1.1.99" in findings[0].message
    assert codes(lint_cert(rebuilt(chain, drop={ExtensionOID.CERTIFICATE_POLICIES}))) == [
        "certcenter.certificate_policy"
    ]


def test_a_profile_with_another_policy_than_expected_is_found_before_signing(chain):
    der = pki.tbs_for_lint(builder_of(chain, profile_of(chain, policy_oid="1.2.3.4")),
                           issuer_key=chain.issuing_key)
    assert codes(pki.certificate_lint(der, policy_oid=POLICY)) == ["certcenter.certificate_policy"]


def test_a_missing_vid_is_found(chain):
    # Without the subjectAltName the identity binding is gone.
    findings = lint_cert(rebuilt(chain, drop={ExtensionOID.SUBJECT_ALTERNATIVE_NAME}))
    assert codes(findings) == ["certcenter.vid_missing"]


@pytest.mark.parametrize(("value", "code"), [
    (b"\x30\x03\x02\x01\x01", "certcenter.vid_malformed"),  # no realName
    (b"\x30\x08\x0c\x03abc\x02\x01\x01", "certcenter.vid_malformed"),  # userInfo not a SEQUENCE
    (b"\x30\x05\x0c\x03abc", "certcenter.vid_missing"),  # a real name without the VID
])
def test_a_malformed_or_empty_identify_data_is_found(chain, value, code):
    san = x509.SubjectAlternativeName([x509.OtherName(IDENTIFY_DATA_OID, value)])
    assert codes(lint_cert(rebuilt(chain, add=[(san, False)]))) == [code]


def test_a_vid_of_the_wrong_length_is_found(chain, monkeypatch):
    monkeypatch.setattr(lint, "identity_binding", lambda cert: (REAL_NAME, b"\x01" * 20))
    assert codes(lint_cert(chain.ee)) == ["certcenter.vid_malformed"]


def test_the_cn_must_name_the_real_name_of_the_binding(chain):
    der = pki.tbs_for_lint(builder_of(chain, name="김철수"), issuer_key=chain.issuing_key)
    assert codes(pki.certificate_lint(der, policy_oid=POLICY)) == [
        "certcenter.subject_name_mismatch"
    ]


def subject(*attributes):
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


GOOD = [
    (NameOID.COUNTRY_NAME, "KR"), (NameOID.ORGANIZATION_NAME, "CertCenter Bank"),
    (NameOID.ORGANIZATIONAL_UNIT_NAME, "personal4IB"), (NameOID.ORGANIZATIONAL_UNIT_NAME, "KB"),
    (NameOID.COMMON_NAME, f"{REAL_NAME}()0041234567890123456"),
]


@pytest.mark.parametrize(("index", "value", "code"), [
    (0, "US", "certcenter.subject_country"),
    (2, "corporate4IB", "certcenter.subject_personal_ou"),
    (4, f"{REAL_NAME}0041234", "certcenter.subject_common_name"),
    (4, f"{REAL_NAME}()", "certcenter.subject_common_name"),
    (4, f"{REAL_NAME}()00A1", "certcenter.subject_common_name"),
])
def test_the_subject_form_is_checked(chain, index, value, code):
    attributes = list(GOOD)
    attributes[index] = (attributes[index][0], value)
    assert codes(lint_cert(rebuilt(chain, subject=subject(*attributes)))) == [code]


def test_the_subject_order_and_shape_are_checked(chain):
    assert codes(lint_cert(rebuilt(chain, subject=subject(*reversed(GOOD))))) == [
        "certcenter.subject_form"
    ]
    assert codes(lint_cert(rebuilt(chain, subject=subject(*GOOD[:4], GOOD[4], GOOD[3])))) == [
        "certcenter.subject_form"
    ]


def test_organization_and_bank_code_are_checked_when_given(chain):
    assert codes(lint_cert(chain.ee, organization="Other Bank", bank_code="KB")) == [
        "certcenter.subject_organization"
    ]
    assert codes(lint_cert(chain.ee, organization="CertCenter Bank", bank_code="088")) == [
        "certcenter.subject_bank_code"
    ]


def test_a_profile_whose_key_usage_is_not_critical_is_found_before_signing(chain, monkeypatch):
    usage = profile._END_ENTITY_KEY_USAGE
    monkeypatch.setattr(profile, "_END_ENTITY_KEY_USAGE",
                        x509.Extension(usage.oid, False, usage.value))
    der = pki.tbs_for_lint(builder_of(chain), issuer_key=chain.issuing_key)
    assert codes(pki.certificate_lint(der, policy_oid=POLICY)) == [
        "certcenter.key_usage", "pkix.key_usage_extension_not_critical"
    ]


def test_pkilint_findings_below_warning_are_left_out(chain):
    # pkilint notes the SKI method (INFO) on every certificate of ours: not a finding.
    findings = lint._pkilint(lint._certificate_validator(), lint._certificate_loader(),
                             pki.certificate_der(chain.ee))
    assert findings == []


def test_pkilint_errors_are_findings(chain):
    # A URI pkilint's validator refuses (no dot in the host) is an RFC 5280 ERROR.
    der = pki.tbs_for_lint(builder_of(chain, profile_of(chain, crl_url="http://crlhost/crl")),
                           issuer_key=chain.issuing_key)
    findings = pki.certificate_lint(der, policy_oid=POLICY)
    assert codes(findings) == ["pkix.invalid_uri_syntax"]
    assert findings[0].severity == "ERROR" and "cRLDistributionPoints" in findings[0].path
    assert str(findings[0]) == 'pkix.invalid_uri_syntax (ERROR): Invalid URI syntax: "http://crlhost/crl"'


@pytest.mark.parametrize("der", [b"", b"\x30\x03\x02\x01\x01", b"not a certificate"])
def test_undecodable_bytes_are_one_fatal_finding(der):
    findings = pki.certificate_lint(der, policy_oid=POLICY)
    assert [(f.code, f.severity) for f in findings] == [("certcenter.undecodable", "FATAL")]


# -- CRLs --------------------------------------------------------------------------------------

def test_our_crls_lint_clean(chain):
    moment = chain.now
    reasons = pki.REVOCATION_REASONS
    crl = pki.build_crl(
        issuer_key=chain.issuing_key, issuer_cert=chain.issuing,
        revoked=[(pki.random_serial(), moment, reasons["key_compromise"]),
                 (pki.random_serial(), moment, reasons["certificate_hold"]),
                 (pki.random_serial(), moment, reasons["unspecified"]),
                 (pki.random_serial(), moment, None)],
        last_update=moment, next_update=moment + timedelta(days=7), crl_number=7,
    )
    assert pki.crl_lint(pki.crl_der(crl)) == []
    empty = pki.build_crl(issuer_key=chain.issuing_key, issuer_cert=chain.issuing, revoked=[],
                          last_update=moment, next_update=moment + timedelta(days=7), crl_number=8)
    assert pki.crl_lint(pki.crl_der(empty)) == []


def test_a_crl_without_a_crl_number_is_found(chain):
    crl = x509.CertificateRevocationListBuilder(
        issuer_name=chain.issuing.subject, last_update=chain.now,
        next_update=chain.now + timedelta(days=7),
    ).sign(chain.issuing_key, pki.hashes.SHA256())
    assert "pkix.crl_number_missing" in codes(pki.crl_lint(pki.crl_der(crl)))


def test_an_undecodable_crl_is_a_fatal_finding():
    assert [f.code for f in pki.crl_lint(b"\x30\x00")] == ["certcenter.undecodable"]
