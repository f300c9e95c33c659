"""Tests for certificates.pki: what it builds is parsed back, and checked with openssl."""

import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, ObjectIdentifier

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


@pytest.fixture(scope="module", params=pki.KEY_TYPES)
def chain(request) -> Chain:
    return build_chain(request.param)


def ext(cert, extension_class) -> x509.Extension:
    return cert.extensions.get_extension_for_class(extension_class)


# -- keys and serials ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_type", "key_class", "size"),
    [("rsa-2048", rsa.RSAPrivateKey, 2048), ("ec-p256", ec.EllipticCurvePrivateKey, 256)],
)
def test_generate_private_key(key_type, key_class, size):
    key = pki.generate_private_key(key_type)
    assert isinstance(key, key_class)
    assert key.key_size == size
    assert pki.key_type_of(key.public_key()) == key_type
    if key_type == "rsa-2048":
        assert key.public_key().public_numbers().e == 65537
    else:
        assert isinstance(key.curve, ec.SECP256R1)


def test_generate_private_key_rejects_unknown_type():
    with pytest.raises(ValueError, match="Unknown key type"):
        pki.generate_private_key("rsa-1024")


def test_key_type_of_rejects_other_keys():
    with pytest.raises(ValueError):
        pki.key_type_of(ec.generate_private_key(ec.SECP384R1()).public_key())


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


# -- CA certificates ----------------------------------------------------------------------------


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


# -- End-entity certificates --------------------------------------------------------------------


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


# -- Identity binding ---------------------------------------------------------------------------


def test_compute_vid_matches_the_published_worked_example():
    # The worked example printed in a Korean CMP client (idn 1234561234567, this R): it pins
    # HashContent's DER (PrintableString, BIT STRING with 0 unused bits) and the double SHA-256.
    random_r = bytes.fromhex("79EA7568A2D3776604E18BCD3A1B1B85B7DA0872")
    vid = pki.compute_vid(rrn="1234561234567", random_r=random_r)
    assert vid.hex().upper() == ("17692C8DD00EAD33791DE0A64A937C60799634C64AC56FA57570C0E05252AB35")


def test_compute_vid_ignores_the_hyphen_and_rejects_bad_input():
    random_r = pki.new_vid_random()
    assert len(random_r) == 20
    assert pki.compute_vid(rrn="900101-1234567", random_r=random_r) == pki.compute_vid(
        rrn="9001011234567", random_r=random_r
    )
    with pytest.raises(ValueError):
        pki.compute_vid(rrn="900101123456", random_r=random_r)
    with pytest.raises(ValueError):
        pki.compute_vid(rrn="90010112345６7", random_r=random_r)  # a full-width digit
    with pytest.raises(ValueError):
        pki.compute_vid(rrn=RRN, random_r=random_r[:19])


def test_new_vid_random_is_fresh():
    assert len({pki.new_vid_random() for _ in range(100)}) == 100


def test_identity_binding_reads_back_korean_name_and_vid(chain):
    binding = pki.identity_binding(chain.ee)
    assert binding == (REAL_NAME, pki.compute_vid(rrn=RRN, random_r=chain.random_r))
    assert pki.identity_binding(chain.issuing) is None


def test_vid_matches_only_the_same_person_and_random(chain):
    assert pki.vid_matches(cert=chain.ee, rrn=RRN, random_r=chain.random_r)
    assert pki.vid_matches(cert=chain.ee, rrn="900101-1234567", random_r=chain.random_r)
    assert not pki.vid_matches(cert=chain.ee, rrn="9001011234568", random_r=chain.random_r)
    assert not pki.vid_matches(cert=chain.ee, rrn=RRN, random_r=pki.new_vid_random())
    assert not pki.vid_matches(cert=chain.root, rrn=RRN, random_r=chain.random_r)


def test_identify_data_has_kisa_layout(chain):
    vid = bytes(range(32))
    cert = pki.build_end_entity_certificate(
        issuer_key=chain.issuing_key,
        issuer_cert=chain.issuing,
        public_key=chain.ee_key.public_key(),
        subject=chain.ee.subject,
        serial=pki.random_serial(),
        not_before=chain.now,
        not_after=chain.now + timedelta(days=1),
        crl_url=CRL_URL,
        ca_issuers_url=CA_ISSUERS_URL,
        real_name="홍길동",
        vid=vid,
    )
    [other_name] = ext(cert, x509.SubjectAlternativeName).value
    expected = (
        bytes.fromhex(
            "304e"  # IdentifyData
            "0c09"
            + "홍길동".encode().hex()  # realName UTF8String
            + "3041"  # userInfo SEQUENCE OF
            "303f"  # AttributeTypeAndValue
            "060a2a831a8c9a440a010101"  # id-VID 1.2.410.200004.10.1.1.1
            "3031"  # VID
            "300b0609608648016503040201"  # hashAlg sha256, no parameters
            "a0220420"  # virtualID [0] EXPLICIT OCTET STRING
        )
        + vid
    )
    assert other_name.value == expected


def _self_signed_with_other_name(value: bytes) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "t")])
    now = datetime.now(UTC)
    san = x509.SubjectAlternativeName([x509.OtherName(pki.IDENTIFY_DATA_OID, value)])
    return (
        x509.CertificateBuilder(
            issuer_name=name,
            subject_name=name,
            public_key=key.public_key(),
            serial_number=1,
            not_valid_before=now,
            not_valid_after=now + timedelta(days=1),
        )
        .add_extension(san, critical=False)
        .sign(key, hashes.SHA256())
    )


def tlv(tag: int, content: bytes) -> bytes:
    assert len(content) < 128
    return bytes([tag, len(content)]) + content


def test_identity_binding_accepts_null_hash_parameters():
    vid = bytes(range(32))
    sha256_with_null = tlv(0x30, bytes.fromhex("0609608648016503040201") + tlv(0x05, b""))
    vid_der = tlv(0x30, sha256_with_null + tlv(0xA0, tlv(0x04, vid)))
    user_info = tlv(0x30, tlv(0x30, bytes.fromhex("060a2a831a8c9a440a010101") + vid_der))
    value = tlv(0x30, tlv(0x0C, b"kim") + user_info)
    assert pki.identity_binding(_self_signed_with_other_name(value)) == ("kim", vid)


def test_identity_binding_without_user_info_is_none():
    value = bytes.fromhex("30050c03") + b"kim"
    assert pki.identity_binding(_self_signed_with_other_name(value)) is None


def test_identity_binding_rejects_malformed_data():
    with pytest.raises(ValueError):
        pki.identity_binding(_self_signed_with_other_name(bytes.fromhex("3003020101")))


# -- Renewal ------------------------------------------------------------------------------------


def test_renew_keeps_key_subject_and_binding(chain):
    not_before = chain.now + timedelta(days=300)
    renewed = pki.renew_certificate(
        issuer_key=chain.issuing_key,
        issuer_cert=chain.issuing,
        old_cert=chain.ee,
        serial=pki.random_serial(),
        not_before=not_before,
        not_after=not_before + timedelta(days=365),
    )
    renewed.verify_directly_issued_by(chain.issuing)
    assert renewed.serial_number != chain.ee.serial_number
    assert renewed.subject == chain.ee.subject
    assert renewed.public_key() == chain.ee.public_key()
    assert renewed.not_valid_before_utc == not_before
    assert renewed.not_valid_after_utc == not_before + timedelta(days=365)
    assert list(renewed.extensions) == list(chain.ee.extensions)
    assert pki.vid_matches(cert=renewed, rrn=RRN, random_r=chain.random_r)
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
    renewed = pki.renew_certificate(
        issuer_key=new_key,
        issuer_cert=new_issuing,
        old_cert=chain.ee,
        serial=pki.random_serial(),
        not_before=chain.now,
        not_after=chain.now + timedelta(days=365),
    )
    renewed.verify_directly_issued_by(new_issuing)
    assert renewed.issuer.rfc4514_string().startswith("CN=CertCenter Sim CA Class 2,")
    assert ext(renewed, x509.AuthorityKeyIdentifier).value.key_identifier == (
        ext(new_issuing, x509.SubjectKeyIdentifier).value.digest
    )
    assert ext(renewed, x509.SubjectKeyIdentifier) == ext(chain.ee, x509.SubjectKeyIdentifier)
    assert len(renewed.extensions) == len(chain.ee.extensions)


# -- CRL ----------------------------------------------------------------------------------------


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


# -- Keys at rest, encodings --------------------------------------------------------------------


@pytest.mark.parametrize("key_type", pki.KEY_TYPES)
def test_encrypted_private_key_round_trip(key_type):
    key = pki.generate_private_key(key_type)
    pem = pki.serialize_encrypted_private_key(key, b"correct horse")
    assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = pki.load_encrypted_private_key(pem, b"correct horse")
    assert loaded.private_numbers() == key.private_numbers()
    with pytest.raises(ValueError):
        pki.load_encrypted_private_key(pem, b"wrong horse")


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


# -- openssl ------------------------------------------------------------------------------------


def openssl(*args, cwd):
    return subprocess.run([OPENSSL, *args], capture_output=True, text=True, cwd=cwd, check=False)


def write_chain(tmp_path, chain, **certs):
    (tmp_path / "root.pem").write_text(pki.certificate_pem(chain.root))
    (tmp_path / "issuing.pem").write_text(pki.certificate_pem(chain.issuing))
    for name, cert in certs.items():
        (tmp_path / f"{name}.pem").write_text(pki.certificate_pem(cert))


VERIFY = ("verify", "-x509_strict", "-CAfile", "root.pem", "-untrusted", "issuing.pem")


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
