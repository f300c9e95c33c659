"""Linting what the CA signs: pkilint's RFC 5280 checks plus our checks of the 금융인증서 profile.

A careful CA never signs a certificate it has not checked. As Let's Encrypt's Boulder does
(``linter/linter.go``), the certificate is first signed with a throwaway key of the CA key's type
(``tbs_for_lint``), so the linted bytes are the real certificate's but for the signature, and only
a clean result lets the CA key sign. A finding at WARNING or above stops issuance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtensionOID, NameOID

from certificates.pki.authority import SIGNATURE_HASH
from certificates.pki.identity import identity_binding
from certificates.pki.keys import PrivateKey, generate_private_key, key_type_of

# pkilint's severities, most severe first: FATAL 0, ERROR 1, WARNING 2, NOTICE 3, INFO 4, DEBUG 5.
# NOTICE and below are not problems (e.g. "SKI computed by method 1"), so they are left out.
_WARNING = 2
_ERROR = "ERROR"
_UNDECODABLE = "certcenter.undecodable"

_VID_LENGTH = 32  # SHA-256
_PERSONAL_OU = "personal4IB"
# CN=<name>()<digits>: the real 금융인증서's common name, the digits naming bank, customer, sequence.
_COMMON_NAME = re.compile(r"(?P<name>.+)\(\)(?P<digits>[0-9]+)")
_SUBJECT_TYPES = (
    NameOID.COUNTRY_NAME,
    NameOID.ORGANIZATION_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
    NameOID.ORGANIZATIONAL_UNIT_NAME,
    NameOID.COMMON_NAME,
)


@dataclass(frozen=True)
class Finding:
    """One problem found: pkilint's code (``pkix.…``) or ours (``certcenter.…``), and what."""

    code: str
    severity: str
    message: str = ""
    path: str = ""

    def __str__(self) -> str:
        detail = f": {self.message}" if self.message else ""
        return f"{self.code} ({self.severity}){detail}"


def tbs_for_lint(builder: x509.CertificateBuilder, *, issuer_key: PrivateKey) -> bytes:
    """Return the certificate ``builder`` describes, as DER, signed with a throwaway key.

    The throwaway key has the type of ``issuer_key``, so the signature algorithm written in the
    TBS is the one the CA key will write; the CA key itself signs nothing here.
    """
    lint_key = _throwaway_key(key_type_of(issuer_key.public_key()))
    return builder.sign(lint_key, SIGNATURE_HASH).public_bytes(Encoding.DER)


@cache
def _throwaway_key(key_type: str) -> PrivateKey:
    # One per key type and process, as Boulder keeps one per issuer: a fresh RSA key per
    # certificate would cost more than the issuance it checks, and this key signs only what is
    # linted and then thrown away.
    return generate_private_key(key_type)


def certificate_lint(
    der: bytes,
    *,
    policy_oid: str,
    organization: str | None = None,
    bank_code: str | None = None,
) -> list[Finding]:
    """Return the findings (WARNING or above) on a certificate of the 금융인증서 profile.

    ``policy_oid`` is the policy the profile writes; ``organization`` and ``bank_code``, when
    given, are the subject's O and second OU as the profile writes them today.
    """
    findings = _pkilint(_certificate_validator(), _certificate_loader(), der)
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError as exc:
        return findings or [Finding(_UNDECODABLE, "FATAL", str(exc))]
    try:
        binding, binding_error = identity_binding(cert), None
    except ValueError as exc:
        binding, binding_error = None, str(exc)
    findings += _subject_findings(cert, binding=binding, organization=organization,
                                  bank_code=bank_code)
    findings += _extension_findings(cert, policy_oid=policy_oid)
    findings += _binding_findings(binding, error=binding_error)
    return findings


def crl_lint(der: bytes) -> list[Finding]:
    """Return pkilint's RFC 5280 findings (WARNING or above) on a CRL."""
    return _pkilint(_crl_validator(), _crl_loader(), der)


def _pkilint(validator, loader, der: bytes) -> list[Finding]:
    try:
        document = loader.load_der_document(der, "document")
    except ValueError as exc:  # pkilint's SubstrateDecodingFailedError is a ValueError
        return [Finding(_UNDECODABLE, "FATAL", str(exc))]
    return [
        Finding(
            description.finding.code, description.finding.severity.name,
            description.message or "", result.node.path,
        )
        for result in validator.validate(document.root)
        for description in result.finding_descriptions
        if description.finding.severity <= _WARNING
    ]


# pkilint takes ~0.2 s to import and its validator trees a while to build: both happen once, on
# first use, so commands and processes that never lint do not pay for them.

@cache
def _certificate_validator():
    from pkilint.pkix import certificate, extension, name

    return certificate.create_pkix_certificate_validator_container(
        certificate.create_decoding_validators(
            name.ATTRIBUTE_TYPE_MAPPINGS, extension.EXTENSION_MAPPINGS
        ),
        [
            certificate.create_issuer_validator_container([]),
            certificate.create_validity_validator_container(),
            certificate.create_subject_validator_container([]),
            certificate.create_extensions_validator_container([]),
            certificate.create_spki_validator_container([]),
        ],
    )


@cache
def _certificate_loader():
    from pkilint import loader

    return loader.RFC5280CertificateDocumentLoader()


@cache
def _crl_validator():
    from pkilint import pkix
    from pkilint.pkix import crl, extension, name

    return crl.create_pkix_crl_validator_container(
        [
            pkix.create_attribute_decoder(name.ATTRIBUTE_TYPE_MAPPINGS),
            pkix.create_extension_decoder(extension.EXTENSION_MAPPINGS),
        ],
        [
            crl.create_issuer_validator_container([]),
            crl.create_validity_validator_container([]),
            crl.create_extensions_validator_container([]),
        ],
    )


@cache
def _crl_loader():
    from pkilint import loader

    return loader.RFC5280CertificateListDocumentLoader()


def _subject_findings(
    cert: x509.Certificate,
    *,
    binding: tuple[str, bytes] | None,
    organization: str | None,
    bank_code: str | None,
) -> list[Finding]:
    """C=KR, O=<org>, OU=personal4IB, OU=<bank code>, CN=<name>()<digits>, one attribute per RDN,
    and the CN's name the real name of the identity binding."""
    subject = cert.subject
    if [len(rdn) for rdn in subject.rdns] != [1] * len(_SUBJECT_TYPES) or tuple(
        attribute.oid for attribute in subject
    ) != _SUBJECT_TYPES:
        return [Finding("certcenter.subject_form", _ERROR,
                        f"expected C, O, OU, OU, CN; found {subject.rfc4514_string()}")]
    country, org, personal, bank, common_name = (attribute.value for attribute in subject)
    findings = []
    if country != "KR":
        findings.append(Finding("certcenter.subject_country", _ERROR, f"C={country}"))
    if not org or (organization is not None and org != organization):
        findings.append(Finding("certcenter.subject_organization", _ERROR, f"O={org}"))
    if personal != _PERSONAL_OU:
        findings.append(Finding("certcenter.subject_personal_ou", _ERROR, f"OU={personal}"))
    if not bank or (bank_code is not None and bank != bank_code):
        findings.append(Finding("certcenter.subject_bank_code", _ERROR, f"OU={bank}"))
    match = _COMMON_NAME.fullmatch(common_name)
    if match is None:
        findings.append(Finding("certcenter.subject_common_name", _ERROR,
                                "CN is not <name>()<digits>"))
        return findings
    if binding is not None and binding[0] != match["name"]:
        findings.append(Finding("certcenter.subject_name_mismatch", _ERROR,
                                "CN name differs from the identity binding's real name"))
    return findings


def _extension(cert: x509.Certificate, oid) -> x509.Extension | None:
    try:
        return cert.extensions.get_extension_for_oid(oid)
    except x509.ExtensionNotFound:
        return None


def _extension_findings(cert: x509.Certificate, *, policy_oid: str) -> list[Finding]:
    findings = []
    key_usage = _extension(cert, ExtensionOID.KEY_USAGE)
    if key_usage is None or not key_usage.critical or not _signing_only(key_usage.value):
        findings.append(Finding("certcenter.key_usage", _ERROR,
                                "KeyUsage must be critical: digitalSignature, nonRepudiation only"))
    basic = _extension(cert, ExtensionOID.BASIC_CONSTRAINTS)
    if basic is None or not basic.critical or basic.value.ca:
        findings.append(Finding("certcenter.basic_constraints", _ERROR,
                                "BasicConstraints must be critical with CA:false"))
    policies = _extension(cert, ExtensionOID.CERTIFICATE_POLICIES)
    found = [] if policies is None else [p.policy_identifier.dotted_string for p in policies.value]
    if found != [policy_oid]:
        findings.append(Finding("certcenter.certificate_policy", _ERROR,
                                f"expected policy {policy_oid}; found {', '.join(found) or 'none'}"))
    return findings


def _binding_findings(binding: tuple[str, bytes] | None, *, error: str | None) -> list[Finding]:
    """The KISA identifyData otherName: present, parseable, a real name and a SHA-256 VID."""
    if error is not None:
        return [Finding("certcenter.vid_malformed", _ERROR, error)]
    if binding is None:
        return [Finding("certcenter.vid_missing", _ERROR,
                        "no identifyData otherName with a VID in subjectAltName")]
    real_name, vid = binding
    if not real_name or len(vid) != _VID_LENGTH:
        return [Finding("certcenter.vid_malformed", _ERROR,
                        "identifyData needs a real name and a 32-byte SHA-256 VID")]
    return []


def _signing_only(usage: x509.KeyUsage) -> bool:
    return (
        usage.digital_signature and usage.content_commitment
        and not (usage.key_encipherment or usage.data_encipherment or usage.key_agreement
                 or usage.key_cert_sign or usage.crl_sign)
    )

