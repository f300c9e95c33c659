"""The 금융인증서 end-entity profile: its subject, its extensions, and the signed certificate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from cryptography import x509
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtensionOID,
    NameOID,
    ObjectIdentifier,
)

from certificates.pki.authority import SIGNATURE_HASH, authority_key_identifier, require_aware
from certificates.pki.identity import identity_other_name
from certificates.pki.keys import PrivateKey, PublicKey

# The policy OID the real 금융인증서 carries; the domain layer may configure another.
FINANCIAL_CERTIFICATE_POLICY_OID = "1.2.410.200005.1.1.1.10"


def end_entity_subject(
    *, organization: str, bank_code: str, name: str, serial_suffix: str
) -> x509.Name:
    """Return the 금융인증서 subject: C=KR, O=org, OU=personal4IB, OU=bank, CN=name()suffix."""
    # Each attribute is its own RDN, in this order, as in the real certificates; cryptography
    # writes the CN (Korean) as UTF8String and C as PrintableString.
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "KR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "personal4IB"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, bank_code),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{name}(){serial_suffix}"),
        ]
    )


_END_ENTITY_BASIC_CONSTRAINTS = x509.Extension(
    ExtensionOID.BASIC_CONSTRAINTS, True, x509.BasicConstraints(ca=False, path_length=None)
)
_END_ENTITY_KEY_USAGE = x509.Extension(
    ExtensionOID.KEY_USAGE,
    True,
    x509.KeyUsage(
        digital_signature=True,
        content_commitment=True,  # a.k.a. nonRepudiation: the 금융인증서 signs transactions.
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    ),
)


@dataclass(frozen=True)
class EndEntityProfile:
    """The 금융인증서 profile of one issuing CA: the extensions every certificate shares are built
    once, so issuing many (the nightly renewal) signs without rebuilding them each time."""

    issuer_cert: x509.Certificate
    crl_url: str
    ca_issuers_url: str
    policy_oid: str = FINANCIAL_CERTIFICATE_POLICY_OID
    cps_uri: str | None = None
    # The OCSP responder (id-ad-ocsp); certificates issued before it existed have none.
    ocsp_url: str | None = None

    @cached_property
    def _shared(self) -> tuple[list[x509.Extension], list[x509.Extension]]:
        policy = x509.PolicyInformation(
            ObjectIdentifier(self.policy_oid), [self.cps_uri] if self.cps_uri else None
        )
        distribution_point = x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(self.crl_url)],
            relative_name=None,
            reasons=None,
            crl_issuer=None,
        )
        access = [x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS,
            x509.UniformResourceIdentifier(self.ca_issuers_url),
        )]
        if self.ocsp_url:
            access.insert(0, x509.AccessDescription(
                AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(self.ocsp_url)
            ))
        # Order as issued: BasicConstraints, KeyUsage, [SKI], AKI, policies, CRL DP, AIA, [SAN].
        before_ski = [_END_ENTITY_BASIC_CONSTRAINTS, _END_ENTITY_KEY_USAGE]
        after_ski = [
            authority_key_identifier(self.issuer_cert),
            x509.Extension(
                ExtensionOID.CERTIFICATE_POLICIES, False, x509.CertificatePolicies([policy])
            ),
            x509.Extension(
                ExtensionOID.CRL_DISTRIBUTION_POINTS,
                False,
                x509.CRLDistributionPoints([distribution_point]),
            ),
            x509.Extension(
                ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
                False,
                x509.AuthorityInformationAccess(access),
            ),
        ]
        return before_ski, after_ski

    def build(
        self,
        *,
        issuer_key: PrivateKey,
        public_key: PublicKey,
        subject: x509.Name,
        serial: int,
        not_before: datetime,
        not_after: datetime,
        real_name: str,
        vid: bytes,
    ) -> x509.Certificate:
        """Return a signed certificate for public_key, bound to real_name and vid."""
        builder = self.builder(
            public_key=public_key, subject=subject, serial=serial, not_before=not_before,
            not_after=not_after, real_name=real_name, vid=vid,
        )
        return self.sign(builder, issuer_key=issuer_key)

    @staticmethod
    def sign(builder: x509.CertificateBuilder, *, issuer_key: PrivateKey) -> x509.Certificate:
        """Return the certificate ``builder`` describes, signed by the issuing CA's key."""
        return builder.sign(issuer_key, SIGNATURE_HASH)

    def builder(
        self,
        *,
        public_key: PublicKey,
        subject: x509.Name,
        serial: int,
        not_before: datetime,
        not_after: datetime,
        real_name: str,
        vid: bytes,
    ) -> x509.CertificateBuilder:
        """Return the unsigned certificate for public_key, bound to real_name and vid: linted
        (signed with a throwaway key) before the CA key signs it."""
        require_aware(not_before=not_before, not_after=not_after)
        before_ski, after_ski = self._shared
        identify_data = identity_other_name(real_name=real_name, vid=vid)
        extensions = [
            *before_ski,
            x509.Extension(
                ExtensionOID.SUBJECT_KEY_IDENTIFIER,
                False,
                x509.SubjectKeyIdentifier.from_public_key(public_key),
            ),
            *after_ski,
            # Non-critical: the subject DN is not empty (RFC 5280 4.2.1.6).
            x509.Extension(
                ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
                False,
                x509.SubjectAlternativeName([identify_data]),
            ),
        ]
        return x509.CertificateBuilder(
            issuer_name=self.issuer_cert.subject,
            subject_name=subject,
            public_key=public_key,
            serial_number=serial,
            not_valid_before=not_before,
            not_valid_after=not_after,
            extensions=extensions,
        )


def build_end_entity_certificate(
    *,
    issuer_key: PrivateKey,
    issuer_cert: x509.Certificate,
    public_key: PublicKey,
    subject: x509.Name,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    policy_oid: str = FINANCIAL_CERTIFICATE_POLICY_OID,
    cps_uri: str | None = None,
    crl_url: str,
    ca_issuers_url: str,
    ocsp_url: str | None = None,
    real_name: str,
    vid: bytes,
) -> x509.Certificate:
    """Return a signed 금융인증서-profile certificate for public_key, bound to real_name and vid."""
    profile = EndEntityProfile(
        issuer_cert=issuer_cert, crl_url=crl_url, ca_issuers_url=ca_issuers_url,
        policy_oid=policy_oid, cps_uri=cps_uri, ocsp_url=ocsp_url,
    )
    return profile.build(
        issuer_key=issuer_key, public_key=public_key, subject=subject, serial=serial,
        not_before=not_before, not_after=not_after, real_name=real_name, vid=vid,
    )
