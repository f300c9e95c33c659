"""Tests for certificates.pki.identity: KISA's identifyData and VID, written, read and matched."""

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from certificates import pki
from tests.certificates.pki.conftest import CA_ISSUERS_URL, CRL_URL, REAL_NAME, RRN, ext


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


def test_binding_matches_only_the_same_person_and_random(chain):
    def matches(cert=chain.ee, *, real_name=REAL_NAME, rrn=RRN, random_r=chain.random_r):
        vid = pki.compute_vid(rrn=rrn, random_r=random_r)
        return pki.binding_matches(cert_der=pki.certificate_der(cert), real_name=real_name, vid=vid)

    assert matches()
    assert matches(rrn="900101-1234567")
    assert not matches(rrn="9001011234568")
    assert not matches(random_r=pki.new_vid_random())
    assert not matches(chain.root)
    assert not matches(real_name="홍길순")


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
