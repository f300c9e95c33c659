"""CMS SignedData: what cms_sign writes (checked by asn1crypto and by openssl), and every refusal of
cms_verify. Pure: no Django, a chain built in memory (conftest ``chain``, once per key type)."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from asn1crypto import cms as asn1_cms
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from certificates import pki
from certificates.pki.cms import (
    CmsBadSignature,
    CmsDigestMismatch,
    CmsMalformed,
    CmsNoSignerCertificate,
    CmsUnsupported,
    cms_sign,
    cms_verify,
)
from tests.certificates.pki.conftest import openssl, requires_openssl

CONTENT = "[모의 인터넷뱅킹 로그인]\n일시: 2026-01-02 10:00:00\n인증 요청번호: 0123456789abcdef\n".encode()


def sign(chain, content=CONTENT):
    return cms_sign(content=content, certificate=chain.ee, private_key=chain.ee_key)


def signer_info(signature):
    return asn1_cms.ContentInfo.load(signature)["content"]["signer_infos"][0]


def flipped(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def test_round_trip(chain):
    before = datetime.now(UTC).replace(microsecond=0)
    signed = cms_verify(signature=sign(chain), content=CONTENT)
    assert signed.signer_certificate == chain.ee
    assert signed.certificates == (chain.ee,)
    assert signed.content_digest == hashlib.sha256(CONTENT).digest()
    assert before <= signed.signing_time <= datetime.now(UTC) + timedelta(seconds=1)
    assert signed.signing_time.tzinfo is not None


def test_the_profile_of_what_is_signed(chain):
    signature = sign(chain)
    signed_data = asn1_cms.ContentInfo.load(signature)["content"]
    assert signed_data["encap_content_info"]["content_type"].native == "data"
    assert signed_data["encap_content_info"]["content"].native is None  # detached
    assert [c.chosen.dump() for c in signed_data["certificates"]] == [pki.certificate_der(chain.ee)]
    info = signer_info(signature)
    assert info["digest_algorithm"]["algorithm"].native == "sha256"
    expected = "rsassa_pkcs1v15" if isinstance(chain.ee_key, rsa.RSAPrivateKey) else "sha256_ecdsa"
    assert info["signature_algorithm"]["algorithm"].native == expected
    attributes = {a["type"].native: a["values"].native for a in info["signed_attrs"]}
    # Exactly the three RFC 5652 attributes: no S/MIME capabilities (NoCapabilities).
    assert set(attributes) == {"content_type", "signing_time", "message_digest"}
    assert attributes["content_type"] == ["data"]
    assert attributes["message_digest"] == [hashlib.sha256(CONTENT).digest()]


@requires_openssl
def test_openssl_prints_the_signed_attributes(chain, tmp_path):
    (tmp_path / "sig.p7s").write_bytes(sign(chain))
    result = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", "sig.p7s", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name in ("contentType", "signingTime", "messageDigest", "eContent: <ABSENT>",
                 "sha256 (2.16.840.1.101.3.4.2.1)"):
        assert name in result.stdout, name
    assert "SMIMECapabilities" not in result.stdout


def test_one_flipped_content_byte_is_a_digest_mismatch(chain):
    with pytest.raises(CmsDigestMismatch) as refused:
        cms_verify(signature=sign(chain), content=flipped(CONTENT, 5))
    assert refused.value.signer_certificate == chain.ee


def test_an_extra_byte_of_content_is_a_digest_mismatch(chain):
    with pytest.raises(CmsDigestMismatch):
        cms_verify(signature=sign(chain), content=CONTENT + b"\n")


def test_one_flipped_signature_byte_is_a_bad_signature(chain):
    signature = sign(chain)
    value = signer_info(signature)["signature"].native
    at = signature.rindex(value) + len(value) // 2
    with pytest.raises(CmsBadSignature) as refused:
        cms_verify(signature=flipped(signature, at), content=CONTENT)
    assert refused.value.signer_certificate == chain.ee


def test_a_changed_signed_attribute_is_a_bad_signature(chain):
    # The signing time moved by a second (the last digit of the UTCTime): the attributes no
    # longer hash to what was signed.
    signature = sign(chain)
    time_value = signer_info(signature)["signed_attrs"][1]["values"][0]
    encoded = time_value.dump()
    at = signature.index(encoded) + len(encoded) - 2
    tampered = signature[:at] + (b"1" if signature[at:at + 1] != b"1" else b"2") + signature[at + 1:]
    with pytest.raises(CmsBadSignature):
        cms_verify(signature=tampered, content=CONTENT)


def test_signed_with_another_key_than_the_certificate_names(chain):
    other = pki.generate_private_key(pki.key_type_of(chain.ee.public_key()))
    signature = cms_sign(content=CONTENT, certificate=chain.ee, private_key=other)
    with pytest.raises(CmsBadSignature):
        cms_verify(signature=signature, content=CONTENT)


@pytest.mark.parametrize("garbage", [
    b"", b"garbage", b"\x30\x03\x02\x01", b"\x30\x80" + b"\x00" * 10, bytes(range(256)),
])
def test_garbage_is_malformed(garbage):
    with pytest.raises(CmsMalformed):
        cms_verify(signature=garbage, content=CONTENT)


def test_a_truncated_signature_is_malformed(chain):
    signature = sign(chain)
    with pytest.raises(CmsMalformed):
        cms_verify(signature=signature[:-10], content=CONTENT)
    with pytest.raises(CmsMalformed):
        cms_verify(signature=signature + b"\x00", content=CONTENT)  # trailing data


def test_a_certificate_is_not_a_signature(chain):
    with pytest.raises(CmsMalformed):
        cms_verify(signature=pki.certificate_der(chain.ee), content=CONTENT)


def build(chain, options, *, hash_algorithm=None, rsa_padding=None, signers=1, content=CONTENT):
    builder = pkcs7.PKCS7SignatureBuilder().set_data(content)
    for _ in range(signers):
        if rsa_padding is None and isinstance(chain.ee_key, rsa.RSAPrivateKey):
            rsa_padding = padding.PKCS1v15()
        builder = builder.add_signer(chain.ee, chain.ee_key, hash_algorithm or hashes.SHA256(),
                                     rsa_padding=rsa_padding)
    return builder.sign(serialization.Encoding.DER, options)


def test_an_embedded_content_is_refused(chain):
    signature = build(chain, [pkcs7.PKCS7Options.Binary])
    with pytest.raises(CmsMalformed):
        cms_verify(signature=signature, content=CONTENT)


def test_no_signed_attributes_is_malformed(chain):
    signature = build(chain, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary,
                              pkcs7.PKCS7Options.NoAttributes])
    with pytest.raises(CmsMalformed):
        cms_verify(signature=signature, content=CONTENT)


def test_without_the_signer_certificate(chain):
    signature = build(chain, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary,
                              pkcs7.PKCS7Options.NoCerts])
    with pytest.raises(CmsNoSignerCertificate):
        cms_verify(signature=signature, content=CONTENT)


def test_another_digest_than_sha256_is_unsupported(chain):
    signature = build(chain, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
                      hash_algorithm=hashes.SHA512())
    with pytest.raises(CmsUnsupported):
        cms_verify(signature=signature, content=CONTENT)


def test_rsa_pss_is_unsupported(chain):
    if not isinstance(chain.ee_key, rsa.RSAPrivateKey):
        pytest.skip("PSS is an RSA padding")
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    signature = build(chain, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
                      rsa_padding=pss)
    with pytest.raises(CmsUnsupported):
        cms_verify(signature=signature, content=CONTENT)


def test_two_signers_are_unsupported(chain):
    signature = build(chain, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary],
                      signers=2)
    with pytest.raises(CmsUnsupported):
        cms_verify(signature=signature, content=CONTENT)


@requires_openssl
def test_openssl_cms_verify_accepts_ours_and_refuses_a_tampered_content(chain, tmp_path):
    (tmp_path / "chain.pem").write_text(pki.certificate_pem(chain.issuing)
                                        + pki.certificate_pem(chain.root))
    (tmp_path / "sig.p7s").write_bytes(sign(chain))
    (tmp_path / "content.txt").write_bytes(CONTENT)
    (tmp_path / "tampered.txt").write_bytes(flipped(CONTENT, 5))
    verify = ("cms", "-verify", "-CAfile", "chain.pem", "-inform", "DER", "-binary",
              "-in", "sig.p7s", "-out", "/dev/null")
    accepted = openssl(*verify, "-content", "content.txt", cwd=tmp_path)
    assert accepted.returncode == 0, accepted.stderr
    assert "Verification successful" in accepted.stderr
    refused = openssl(*verify, "-content", "tampered.txt", cwd=tmp_path)
    assert refused.returncode != 0
    assert "content verify error" in refused.stderr
