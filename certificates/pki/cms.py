"""CMS SignedData (RFC 5652) over a detached content: made with cryptography's builder, checked by
parsing with asn1crypto and verifying with cryptography.

The profile is the 금융인증서 signing service's: SHA-256 with RSASSA-PKCS1-v1_5 (ECDSA for an EC
key), the signed attributes contentType, messageDigest and signingTime, the signer's certificate
inside, the content itself outside (the relying party holds it: it showed it to the customer).

cryptography can build SignedData but not verify it, so the verifier parses the structure with
asn1crypto and checks the signature itself: over the DER of the signed attributes as received (with
their [0] IMPLICIT tag read as the SET OF it stands for, RFC 5652 §5.4), with the public key of the
certificate the SignerInfo names. Which certificate that is, and whether anyone should trust it, is
the caller's business (chain, validity, revocation): this module answers only "does this signature
say these bytes were signed by that certificate's key, and when".
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms as asn1_cms
from asn1crypto import core as asn1_core
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7

from certificates.pki.keys import PrivateKey

__all__ = [
    "CmsBadSignature",
    "CmsDigestMismatch",
    "CmsError",
    "CmsMalformed",
    "CmsNoSignerCertificate",
    "CmsUnsupported",
    "SignedContent",
    "cms_sign",
    "cms_signing_time",
    "cms_verify",
]

# RSA signers may name the key's algorithm (what cryptography and OpenSSL write, RFC 5652 §5.3) or
# the combined one (RFC 4056); both mean RSASSA-PKCS1-v1_5 here, with the SHA-256 digest.
_RSA_SIGNATURE_ALGORITHMS = frozenset({"rsassa_pkcs1v15", "sha256_rsa"})
_EC_SIGNATURE_ALGORITHMS = frozenset({"sha256_ecdsa"})
_SET_OF = 0x31
_IMPLICIT_0_CONSTRUCTED = 0xA0


class CmsError(Exception):
    """A signature that does not verify; ``signer_certificate`` is the certificate it names, when
    one could be found (unverified: for the record, not for trust)."""

    def __init__(self, detail: str, *, signer_certificate: x509.Certificate | None = None):
        super().__init__(detail)
        self.signer_certificate = signer_certificate


class CmsMalformed(CmsError):
    """Not a DER CMS SignedData of the shape this profile signs (or not DER at all)."""


class CmsUnsupported(CmsError):
    """Well-formed, but with an algorithm (or a number of signers) this profile does not accept."""


class CmsNoSignerCertificate(CmsError):
    """The SignerInfo names a certificate the SignedData does not carry."""


class CmsBadSignature(CmsError):
    """The signature over the signed attributes does not verify with the signer's public key."""


class CmsDigestMismatch(CmsError):
    """The signature is sound, but it was made over other content than the one given."""


@dataclass(frozen=True)
class SignedContent:
    """What a verified signature says: who signed (by key), when they claim, and over what."""

    signer_certificate: x509.Certificate
    signing_time: datetime
    content_digest: bytes  # SHA-256 of the content, as the signed messageDigest attribute says
    certificates: tuple[x509.Certificate, ...]  # every certificate the SignedData carried


def cms_sign(*, content: bytes, certificate: x509.Certificate, private_key: PrivateKey) -> bytes:
    """Return a DER CMS SignedData over ``content``, detached, with the signer's certificate.

    The signed attributes are contentType (id-data), signingTime (now) and messageDigest
    (SHA-256). ``Binary`` keeps the bytes as they are (no MIME line-ending canonicalisation);
    ``NoCapabilities`` leaves out the S/MIME capabilities attribute, which says what a mail client
    can decrypt and means nothing for a signed transaction.
    """
    if isinstance(private_key, rsa.RSAPrivateKey):
        rsa_padding = padding.PKCS1v15()
    elif isinstance(private_key, ec.EllipticCurvePrivateKey):
        rsa_padding = None
    else:
        raise TypeError("Only RSA and EC keys sign CMS here.")
    builder = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(content)
        .add_signer(certificate, private_key, hashes.SHA256(), rsa_padding=rsa_padding)
    )
    return builder.sign(serialization.Encoding.DER, [
        pkcs7.PKCS7Options.DetachedSignature,
        pkcs7.PKCS7Options.Binary,
        pkcs7.PKCS7Options.NoCapabilities,
    ])


@dataclass(frozen=True)
class _Parsed:
    """The parts of a SignedData the verification needs, read out eagerly (asn1crypto parses
    lazily: a malformed inner value would otherwise only raise where it is first used)."""

    certificates: tuple[x509.Certificate, ...]
    signer_certificate: x509.Certificate | None
    digest_algorithm: str
    signature_algorithm: str
    signed_attributes_der: bytes
    signature: bytes
    message_digest: bytes
    signing_time: datetime


def _single_attribute(attributes: dict, name: str):
    values = attributes.get(name)
    if values is None or len(values) != 1:
        raise CmsMalformed(f"The signed attributes need exactly one {name}.")
    return values[0]


def _parse(signature: bytes) -> _Parsed:
    try:
        info = asn1_cms.ContentInfo.load(signature, strict=True)
        if info["content_type"].native != "signed_data":
            raise CmsMalformed("Not a CMS SignedData.")
        signed_data = info["content"]
        encapsulated = signed_data["encap_content_info"]
        if encapsulated["content_type"].native != "data":
            raise CmsMalformed("The signed content is not id-data.")
        if encapsulated["content"].native is not None:
            raise CmsMalformed("The content is inside the signature; a detached one is expected.")
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            raise CmsUnsupported(f"{len(signer_infos)} signers; exactly one is accepted.")
        signer = signer_infos[0]
        carried = [choice.chosen for choice in (signed_data["certificates"] or [])
                   if choice.name == "certificate"]
        certificates = tuple(x509.load_der_x509_certificate(each.dump()) for each in carried)
        found = _find_signer(signer["sid"], carried)
        signer_certificate = certificates[found] if found is not None else None
        signed_attrs = signer["signed_attrs"]
        if isinstance(signed_attrs, asn1_core.Void) or len(signed_attrs) == 0:
            raise CmsMalformed("The signature has no signed attributes.")
        attributes: dict = {}
        for attribute in signed_attrs:
            name = attribute["type"].native
            if name in attributes:
                raise CmsMalformed(f"The attribute {name} appears twice.")
            attributes[name] = list(attribute["values"])
        if _single_attribute(attributes, "content_type").native != "data":
            raise CmsMalformed("The contentType attribute is not id-data.")
        message_digest = _single_attribute(attributes, "message_digest").native
        signing_time = _single_attribute(attributes, "signing_time").native
        if not isinstance(message_digest, bytes) or not isinstance(signing_time, datetime):
            raise CmsMalformed("Unreadable messageDigest or signingTime.")
        raw = signed_attrs.dump()
        if raw[0] != _IMPLICIT_0_CONSTRUCTED:
            raise CmsMalformed("The signed attributes are not [0] IMPLICIT.")
        return _Parsed(
            certificates=certificates,
            signer_certificate=signer_certificate,
            digest_algorithm=signer["digest_algorithm"]["algorithm"].native,
            signature_algorithm=signer["signature_algorithm"]["algorithm"].native,
            # RFC 5652 §5.4: the signature covers the attributes' DER with the SET OF tag.
            signed_attributes_der=bytes((_SET_OF,)) + raw[1:],
            signature=signer["signature"].native,
            message_digest=message_digest,
            signing_time=signing_time,
        )
    except CmsError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as exc:
        raise CmsMalformed(f"Not a DER CMS SignedData: {exc}") from None


def _find_signer(sid, carried: list) -> int | None:
    """The index of the carried certificate the SignerInfo names (asn1crypto compares names by
    RFC 5280's rules, not byte for byte)."""
    if sid.name == "issuer_and_serial_number":
        issuer, serial = sid.chosen["issuer"], sid.chosen["serial_number"].native
        # The same bytes first: a signer copies the name from its certificate, and RFC 5280's
        # comparison (string preparation of every attribute) costs half a millisecond.
        matches = (each.serial_number == serial
                   and (each.issuer.dump() == issuer.dump() or each.issuer == issuer)
                   for each in carried)
    elif sid.name == "subject_key_identifier":
        identifier = sid.chosen.native
        matches = (each.key_identifier == identifier for each in carried)
    else:
        raise CmsMalformed("Unknown signer identifier.")
    return next((index for index, match in enumerate(matches) if match), None)


def cms_verify(*, signature: bytes, content: bytes) -> SignedContent:
    """Check that ``signature`` (DER SignedData) is a valid signature over exactly ``content``.

    Raises, in this order: CmsMalformed, CmsUnsupported, CmsNoSignerCertificate, CmsBadSignature
    (the attributes were not signed by the named certificate's key), CmsDigestMismatch (they
    were, but over other content). Trust in the signer's certificate is not checked here.
    """
    parsed = _parse(signature)
    if parsed.digest_algorithm != "sha256":
        raise CmsUnsupported(f"Digest {parsed.digest_algorithm}; SHA-256 is required.",
                             signer_certificate=parsed.signer_certificate)
    signer = parsed.signer_certificate
    if signer is None:
        raise CmsNoSignerCertificate("The signer's certificate is not in the signature.")
    public_key = signer.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            if parsed.signature_algorithm not in _RSA_SIGNATURE_ALGORITHMS:
                raise CmsUnsupported(f"Signature {parsed.signature_algorithm} with an RSA key.")
            public_key.verify(parsed.signature, parsed.signed_attributes_der, padding.PKCS1v15(),
                              hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            if parsed.signature_algorithm not in _EC_SIGNATURE_ALGORITHMS:
                raise CmsUnsupported(f"Signature {parsed.signature_algorithm} with an EC key.")
            public_key.verify(parsed.signature, parsed.signed_attributes_der,
                              ec.ECDSA(hashes.SHA256()))
        else:
            raise CmsUnsupported("The signer's key is neither RSA nor EC.")
    except InvalidSignature:
        raise CmsBadSignature("The signature does not verify with the signer's public key.",
                              signer_certificate=signer) from None
    except CmsUnsupported as exc:
        exc.signer_certificate = signer
        raise
    digest = hashlib.sha256(content).digest()
    if not hmac.compare_digest(parsed.message_digest, digest):
        raise CmsDigestMismatch("The signed messageDigest is not the content's SHA-256.",
                                signer_certificate=signer)
    return SignedContent(
        signer_certificate=signer,
        signing_time=parsed.signing_time,
        content_digest=digest,
        certificates=parsed.certificates,
    )


def cms_signing_time(signature: bytes) -> datetime:
    """The signingTime a signature claims, read without checking it (to show a signature that
    ``cms_verify`` already accepted); raises CmsMalformed."""
    return _parse(signature).signing_time
