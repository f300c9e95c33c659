"""How a subject is shown: the name masked on the parsed RDNs, whatever characters it holds."""

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from certificates import pki
from certificates.display import UNREADABLE_SUBJECT, format_serial, mask_subject

SUFFIX = "00400000000010001"


def subject_of(name: str) -> x509.Name:
    return pki.end_entity_subject(name=name, organization="CertCenter Sim", bank_code="004",
                                  serial_suffix=SUFFIX)


@pytest.mark.parametrize(
    ("name", "masked_cn"),
    [
        ("홍길동", "CN=홍*동()"),
        ("남궁민수", "CN=남**수()"),
        ("SMITH, JOHN", "CN=S*********N()"),
        ("KIM+LEE", "CN=K*****E()"),
        ("BACK\\SLASH", "CN=B********H()"),
        ("A=B", "CN=A*B()"),
        ("LEE,KIM+PARK=CHOI\\", "CN=L****************\\\\()"),  # a trailing "\" stays escaped
        ("NAME()WITH()PARENS", "CN=N****************S()"),
        ('O"NEIL; <J>', "CN=O*********\\>()"),
        ("#HASH", "CN=\\#***H()"),
        ("김", "CN=*()"),
    ],
)
def test_the_name_is_masked_whatever_it_contains(name, masked_cn):
    subject = subject_of(name)
    expected = f"{masked_cn}{SUFFIX},OU=004,OU=personal4IB,O=CertCenter Sim,C=KR"
    # As stored (RFC 4514 text) and as parsed from the certificate: the same masked text.
    assert mask_subject(subject.rfc4514_string()) == expected
    assert mask_subject(subject) == expected
    shown = mask_subject(subject)
    for part in name.replace(",", " ").replace("+", " ").replace("=", " ").split():
        if len(part) > 1:
            assert part not in shown, part


def test_the_rest_of_the_subject_is_shown_as_issued():
    subject = subject_of("홍길동")
    masked = x509.Name.from_rfc4514_string(mask_subject(subject))
    assert masked.rdns[:-1] == subject.rdns[:-1]  # C, O, OU, OU
    [common_name] = masked.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert common_name.value == f"홍*동(){SUFFIX}"


def test_a_common_name_without_the_suffix_is_masked_whole():
    assert mask_subject("CN=SMITH\\, JOHN,C=KR") == "CN=S*********N,C=KR"


def test_every_common_name_of_a_multi_valued_rdn_is_masked():
    assert mask_subject("CN=홍길동()1+CN=김철수()2,C=KR") == "CN=홍*동()1+CN=김*수()2,C=KR"


@pytest.mark.parametrize("text", ["CN=홍길동()004,garbage", "CN=\\ZZ", "no equals sign", "CN=()1,C=KOREA"])
def test_a_subject_that_does_not_parse_is_not_shown(text):
    assert mask_subject(text) == UNREADABLE_SUBJECT


def test_format_serial():
    assert format_serial("1a2b3") == "01:A2:B3"
