"""Certificates in Django admin: lists, filters, search, decoded details, revocation, permissions."""

import base64
import html
from datetime import timedelta

import pytest
import time_machine
from cryptography import x509
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from certificates import pki
from certificates.ca import load_issuing_ca
from certificates.display import format_serial
from certificates.lifecycle import certificate_revoke
from certificates.models import Certificate, CertificateEvent, RevocationList
from certificates.publication import crl_publish
from tests.conftest import PIN, staff_login

pytestmark = pytest.mark.django_db

REVIEWERS = "인증서 검토자"
OFFICERS = "인증서 관리자"
CHANGELIST = reverse("admin:certificates_certificate_changelist")
REVOKE_MANY = reverse("admin:certificates_certificate_revoke_many")


@pytest.fixture(autouse=True)
def fast_hashing_and_sealing(settings):
    # admin_client's superuser is created with a password; the default PBKDF2 costs ~0.3 s a test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PIN_SCRYPT_N = 2**10


def change_url(certificate):
    return reverse("admin:certificates_certificate_change", args=[certificate.pk])


def revoke_url(certificate):
    return reverse("admin:certificates_certificate_revoke", args=[certificate.pk])


def page(response):
    return html.unescape(response.content.decode())


def listed(response):
    return [c.pk for c in response.context["cl"].result_list]


def staff_client(username, group_name):
    return staff_login(username, group_name)


@pytest.fixture
def reviewer():
    return staff_client("reviewer", REVIEWERS)


@pytest.fixture
def officer():
    return staff_client("officer", OFFICERS)


def crl_serials(client):
    response = client.get(reverse("certificates:crl"))
    assert response.status_code == 200
    crl = x509.load_der_x509_crl(response.content)
    assert crl.is_signature_valid(load_issuing_ca().cert.public_key())
    return {entry.serial_number: entry for entry in crl}


# -- The list: filters and search ---------------------------------------------------------------------

@pytest.fixture
def population(customer_factory, settings, certificate_factory):
    """One certificate in each state the filters tell apart."""
    now = timezone.now()
    plain = certificate_factory(customer=customer_factory(user_id="plain01", name="김철수"))
    settings.CERTIFICATE_KEY_TYPE = "ec-p256"
    ec = certificate_factory(customer=customer_factory(user_id="ecuser1", name="이영희"))
    settings.CERTIFICATE_KEY_TYPE = "rsa-2048"
    with time_machine.travel(now - timedelta(days=340)):
        # in ~25 days
        expiring = certificate_factory(customer=customer_factory(user_id="soon001", name="박민수"))
    with time_machine.travel(now - timedelta(days=400)):
        # ~35 days ago
        expired = certificate_factory(customer=customer_factory(user_id="gone001", name="최지우"))
    revoked = certificate_factory(customer=customer_factory(user_id="revoked1", name="정우성"))
    certificate_revoke(certificate=revoked, reason="key_compromise",
                       actor=CertificateEvent.Actor.SYSTEM)
    return {"plain": plain, "ec": ec, "expiring": expiring, "expired": expired,
            "revoked": revoked}


def test_changelist_lists_every_certificate_masked(admin_client, population):
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(c.pk for c in population.values())
    body = page(response)
    for certificate in population.values():
        assert certificate.serial in body
    for name in ["김철수", "이영희", "박민수", "최지우", "정우성"]:
        assert name not in body  # names appear masked only
    assert "김*수" in body and "plain01 (김*수)" in body


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status__exact=revoked", ["revoked"]),
        ("status__exact=active", ["plain", "ec", "expiring", "expired"]),
        ("key_type=ec-p256", ["ec"]),
        ("key_type=rsa-2048", ["plain", "expiring", "expired", "revoked"]),
        ("expiring=soon", ["expiring"]),
        ("expiring=past", ["expired"]),
        ("status__exact=active&key_type=rsa-2048&expiring=soon", ["expiring"]),
    ],
)
def test_changelist_filters(admin_client, population, query, expected):
    response = admin_client.get(f"{CHANGELIST}?{query}")
    assert response.status_code == 200
    assert sorted(listed(response)) == sorted(population[k].pk for k in expected)


def test_the_filters_are_offered(admin_client, population):
    body = page(admin_client.get(CHANGELIST))
    for label in ["30일 이내 만료", "유효기간 경과", "ec-p256", "rsa-2048"]:
        assert label in body


@pytest.mark.parametrize("days", [30, 45])
def test_expiring_filter_boundary_is_the_renewal_window(admin_client, admin_user,
                                                        settings, days, certificate_factory):
    settings.RENEWAL_WINDOW_DAYS = days
    certificate = certificate_factory()
    with time_machine.travel(certificate.not_after - timedelta(days=days), tick=False):
        admin_client.force_login(admin_user)  # the session would have expired by then
        assert listed(admin_client.get(f"{CHANGELIST}?expiring=soon")) == [certificate.pk]
    with time_machine.travel(certificate.not_after - timedelta(days=days, seconds=1), tick=False):
        admin_client.force_login(admin_user)
        assert listed(admin_client.get(f"{CHANGELIST}?expiring=soon")) == []


def test_expiring_filter_follows_the_renewal_window_setting(admin_client, population, settings):
    # "expiring" expires in ~25 days: inside a 30-day window, outside a 20-day one.
    settings.RENEWAL_WINDOW_DAYS = 20
    response = admin_client.get(CHANGELIST, {"expiring": "soon"})
    assert listed(response) == []
    body = page(response)
    assert "20일 이내 만료" in body and "30일 이내 만료" not in body
    settings.RENEWAL_WINDOW_DAYS = 30
    response = admin_client.get(CHANGELIST, {"expiring": "soon"})
    assert listed(response) == [population["expiring"].pk]
    assert "30일 이내 만료" in page(response)


def colon_hex(serial):
    padded = serial.zfill(len(serial) + len(serial) % 2)
    return bytes.fromhex(padded).hex(":").upper()


@pytest.mark.parametrize(
    "spelling",
    [
        pytest.param(lambda s: s, id="as-stored"),
        pytest.param(str.upper, id="upper-case"),
        pytest.param(colon_hex, id="openssl-colons"),
        pytest.param(lambda s: f"0x{s}", id="0x-prefix"),
        pytest.param(lambda s: f"  {s}  ", id="surrounding-spaces"),
    ],
)
def test_search_by_serial(admin_client, population, spelling):
    target = population["ec"]
    response = admin_client.get(CHANGELIST, {"q": spelling(target.serial)})
    assert response.status_code == 200
    assert listed(response) == [target.pk]


def test_search_by_serial_finds_nothing_for_a_serial_prefix(admin_client, population):
    response = admin_client.get(CHANGELIST, {"q": population["ec"].serial[:12]})
    assert listed(response) == []


def test_search_by_user_id_and_by_exact_name(admin_client, population):
    assert listed(admin_client.get(CHANGELIST, {"q": "soon001"})) == [population["expiring"].pk]
    assert listed(admin_client.get(CHANGELIST, {"q": "이영희"})) == [population["ec"].pk]
    assert listed(admin_client.get(CHANGELIST, {"q": "이영"})) == []  # exact names only


@pytest.mark.parametrize(
    ("group", "finds_by_name_and_phone"), [(REVIEWERS, False), (OFFICERS, True)]
)
def test_search_by_role(population, group, finds_by_name_and_phone):
    """Reviewers see names and phones masked, so they may not confirm them by searching."""
    client, _user = staff_client("staff", group)
    target = population["ec"]
    assert listed(client.get(CHANGELIST, {"q": target.serial})) == [target.pk]
    assert listed(client.get(CHANGELIST, {"q": colon_hex(target.serial)})) == [target.pk]
    assert listed(client.get(CHANGELIST, {"q": "ecuser1"})) == [target.pk]
    for term in ["이영희", target.customer.phone, target.customer.phone_display]:
        expected = [target.pk] if finds_by_name_and_phone else []
        assert listed(client.get(CHANGELIST, {"q": term})) == expected, term
    for term in ["이영", target.customer.phone[:-1], target.serial[:12], "ecuser"]:
        assert listed(client.get(CHANGELIST, {"q": term})) == [], term
    help_text = "이름 또는 휴대폰 번호" in page(client.get(CHANGELIST))
    assert help_text is finds_by_name_and_phone


def test_search_by_a_user_id_that_looks_like_hex(admin_client, customer_factory, certificate_factory):
    certificate = certificate_factory(customer=customer_factory(user_id="cafe12"))
    assert listed(admin_client.get(CHANGELIST, {"q": "cafe12"})) == [certificate.pk]


# -- The detail page ------------------------------------------------------------------------------------

def test_change_page_decodes_the_certificate(admin_client, certificate):
    response = admin_client.get(change_url(certificate))
    assert response.status_code == 200
    body = page(response)
    parsed = pki.load_certificate(bytes(certificate.der))
    ca = load_issuing_ca()
    assert ca.cert.subject.rfc4514_string() in body  # the issuer
    assert "CertCenter Sim CA" in body
    assert pki.fingerprint_sha256(parsed) in body
    assert parsed.fingerprint(pki.hashes.SHA1()).hex(":").upper() in body
    assert certificate.serial in body
    assert format_serial(certificate.serial) in body  # as the customer's 발급 완료 page shows it
    for extension in ["BasicConstraints) (critical)", "KeyUsage) (critical)", "CertificatePolicies",
                      "CRL 배포 지점", "AIA", "SKI", "AKI", "주체 대체 이름"]:
        assert extension in body, extension
    assert "digitalSignature, nonRepudiation" in body
    assert "/ca/crl.crl" in body and "caIssuers" in body
    assert "&lt;" not in body.split("인증서 내용")[-1].split("이력")[0]  # no Python reprs
    assert "1.2.410.200005.1.1.1.10" in body  # the policy OID
    assert "KISA identifyData: 홍*동, VID ****" in body
    assert "CN=홍*동()" in body  # the subject, masked
    assert "rsa-2048" in body


def test_change_page_shows_the_event_history(admin_client, certificate, customer):
    certificate_revoke(certificate=certificate, reason="cessation_of_operation",
                       actor=CertificateEvent.Actor.SYSTEM, note="고객 요청")
    response = admin_client.get(change_url(certificate))
    [events] = [f for f in response.context["inline_admin_formsets"]
                if f.opts.model is CertificateEvent]
    kinds = [form.original.kind for form in events]
    assert kinds == ["revoked", "issued"]  # newest first
    body = page(response)
    assert "사용 중지 고객 요청" in body and "이력" in body


def test_change_page_shows_no_secret(admin_client, certificate, customer):
    body = page(admin_client.get(change_url(certificate)))
    assert "홍길동" not in body  # the subject and the binding are masked
    assert "1234568" not in body and "9001011234568" not in body
    sealed = bytes(certificate.sealed_key.sealed_private_key)
    for encoding in (sealed.hex(), sealed[:24].hex(), base64.b64encode(sealed).decode()[:24]):
        assert encoding not in body
    assert certificate.sealed_key.vid_random_encrypted not in body
    _name, vid = pki.identity_binding(pki.load_certificate(bytes(certificate.der)))
    assert vid.hex() not in body and vid.hex(":").upper() not in body
    assert base64.b64encode(vid).decode() not in body
    assert PIN not in body


def test_pem_download(admin_client, certificate):
    response = admin_client.get(
        reverse("admin:certificates_certificate_pem", args=[certificate.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response["Content-Disposition"] == f'attachment; filename="{certificate.serial}.pem"'
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")
    assert pki.certificate_der(x509.load_pem_x509_certificate(response.content)) == bytes(
        certificate.der
    )
    assert b"PRIVATE KEY" not in response.content


def pem_url(certificate):
    return reverse("admin:certificates_certificate_pem", args=[certificate.pk])


def test_pem_download_is_an_officers_right(reviewer, officer, certificate):
    """The PEM carries the full name (subject and identity binding): reviewers may not take it."""
    reviewer_client, _user = reviewer
    assert reviewer_client.get(pem_url(certificate)).status_code == 403
    assert pem_url(certificate) not in page(reviewer_client.get(change_url(certificate)))
    officer_client, _user = officer
    assert pem_url(certificate) in page(officer_client.get(change_url(certificate)))
    response = officer_client.get(pem_url(certificate))
    assert response.status_code == 200
    assert response.content.startswith(b"-----BEGIN CERTIFICATE-----")


def test_pem_download_of_an_unknown_certificate_is_404(admin_client):
    response = admin_client.get(reverse("admin:certificates_certificate_pem", args=[999999]))
    assert response.status_code == 404


def test_certificates_cannot_be_added_changed_or_deleted(admin_client, certificate):
    assert admin_client.get(reverse("admin:certificates_certificate_add")).status_code == 403
    response = admin_client.post(change_url(certificate), {"status": "revoked"})
    assert response.status_code == 403
    delete = reverse("admin:certificates_certificate_delete", args=[certificate.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE


def test_sealed_keys_are_not_in_admin():
    with pytest.raises(NoReverseMatch):
        reverse("admin:certificates_sealedkey_changelist")


# -- Revocation -----------------------------------------------------------------------------------------

def test_revoke_selected_action_with_a_reason(
    admin_client, admin_user, customer_factory, django_capture_on_commit_callbacks, certificate_factory,
    published_crl,
):
    first, second, bystander = (certificate_factory(customer=customer_factory()) for _ in range(3))
    assert first.serial_int not in crl_serials(admin_client)  # a current CRL exists before
    response = admin_client.post(CHANGELIST, {
        "action": "revoke_selected", "_selected_action": [first.pk, second.pk], "index": 0,
    })
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.startswith(REVOKE_MANY)

    form = admin_client.get(form_url)
    assert form.status_code == 200
    assert first.serial in page(form) and second.serial in page(form)
    assert bystander.serial not in page(form)

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(form_url, {"reason": "key_compromise", "note": "분실 신고",
                                               "confirm": "on"})
    assert done.status_code == 302 and done["Location"] == CHANGELIST

    for certificate in (first, second):
        certificate.refresh_from_db()
        assert certificate.status == Certificate.Status.REVOKED
        assert certificate.revocation_reason == "key_compromise"
        assert certificate.revoked_at is not None
        event = CertificateEvent.objects.get(certificate=certificate, kind="revoked")
        assert event.actor == CertificateEvent.Actor.STAFF
        assert event.staff_user == admin_user
        assert event.client_ip == "127.0.0.1"
        assert event.reason == "키 손상 분실 신고"
    bystander.refresh_from_db()
    assert bystander.status == Certificate.Status.ACTIVE

    entries = crl_serials(admin_client)
    assert {first.serial_int, second.serial_int} <= set(entries)
    assert bystander.serial_int not in entries
    assert entries[first.serial_int].extensions.get_extension_for_class(
        x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise


def test_revoke_from_the_detail_page(
    admin_client, admin_user, certificate, django_capture_on_commit_callbacks, published_crl
):
    assert certificate.serial_int not in crl_serials(admin_client)  # a current CRL exists before
    detail = page(admin_client.get(change_url(certificate)))
    assert revoke_url(certificate) in detail  # the button is offered

    form = admin_client.get(revoke_url(certificate))
    assert form.status_code == 200 and certificate.serial in page(form)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(revoke_url(certificate),
                                     {"reason": "cessation_of_operation", "note": "해지",
                                      "confirm": "on"})
    assert response.status_code == 302 and response["Location"] == change_url(certificate)

    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    assert certificate.revocation_reason == "cessation_of_operation"
    event = CertificateEvent.objects.get(certificate=certificate, kind="revoked")
    assert (event.actor, event.staff_user, event.reason) == ("staff", admin_user, "사용 중지 해지")
    assert certificate.serial_int in crl_serials(admin_client)
    # Revoked: the button is gone and a second revocation changes nothing.
    assert revoke_url(certificate) not in page(admin_client.get(change_url(certificate)))
    admin_client.post(revoke_url(certificate), {"reason": "key_compromise", "note": "x",
                                                "confirm": "on"})
    assert CertificateEvent.objects.filter(certificate=certificate, kind="revoked").count() == 1


def test_revoke_form_preselects_no_reason_and_needs_a_note_and_confirmation(
    admin_client, certificate
):
    form = admin_client.get(revoke_url(certificate)).context["form"]
    assert not form["reason"].value()
    response = admin_client.post(revoke_url(certificate), {"reason": "key_compromise"})
    assert set(response.context["form"].errors) == {"note", "confirm"}
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE


def test_revoke_needs_a_valid_reason(admin_client, certificate):
    response = admin_client.post(revoke_url(certificate), {"reason": "because"})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE
    assert not CertificateEvent.objects.filter(kind="revoked").exists()


def flashed(response):
    return [str(m) for m in response.wsgi_request._messages]


@pytest.mark.parametrize(
    "ids",
    [
        "%C2%B2",  # "²": str.isdigit() says yes, int() says no
        "%EF%BC%91",  # a full-width "１"
        "%D9%A1",  # an Arabic-Indic "١"
        "1,x", "1,,2", "1,", "-1", "+1", "1%202", "0x1f",
        "9" * 19,  # beyond a 64-bit key
    ],
)
def test_revoke_link_with_malformed_ids_is_refused(officer, certificate, ids,
                                                   django_capture_on_commit_callbacks):
    client, _user = officer
    url = f"{REVOKE_MANY}?ids={certificate.pk},{ids}"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == CHANGELIST
    assert flashed(response) == ["폐기할 인증서 번호가 올바르지 않습니다."]
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post(url, {"reason": "key_compromise", "note": "x", "confirm": "on"})
    assert posted.status_code == 302 and posted["Location"] == CHANGELIST
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE


def test_revoke_link_for_an_out_of_range_key_is_refused(officer):
    client, _user = officer
    url = reverse("admin:certificates_certificate_revoke", args=[10**19])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == CHANGELIST


def test_revoke_link_without_ids_offers_nothing(officer, certificate):
    client, _user = officer
    response = client.get(REVOKE_MANY)
    assert response.status_code == 200 and response.context["targets"] == []


def test_revoke_batch_limit_comes_from_settings(officer, customer_factory, settings, certificate_factory):
    settings.REVOKE_BATCH_LIMIT = 2
    first, second, third = (certificate_factory(customer=customer_factory()) for _ in range(3))
    client, _user = officer
    response = client.post(CHANGELIST, {"action": "revoke_selected", "index": 0,
                                        "_selected_action": [first.pk, second.pk, third.pk]},
                           follow=True)
    assert response.redirect_chain[-1][0].startswith(CHANGELIST)
    assert "한 번에 2개까지 폐기할 수 있습니다." in page(response)
    # A hand-made link with more ids than the limit is refused the same way.
    response = client.get(f"{REVOKE_MANY}?ids={first.pk},{second.pk},{third.pk}")
    assert response.status_code == 302 and response["Location"] == CHANGELIST
    assert flashed(response) == ["한 번에 2개까지 폐기할 수 있습니다. 선택 범위를 줄여 주세요."]
    # Within the limit the form opens.
    response = client.post(CHANGELIST, {"action": "revoke_selected", "index": 0,
                                        "_selected_action": [first.pk, second.pk]})
    assert response.status_code == 302 and response["Location"].startswith(REVOKE_MANY)
    assert client.get(response["Location"]).status_code == 200


# -- Masking: every name, every route -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("SMITH, JOHN", "S*********N"),
        ("KIM+LEE", "K*****E"),
        ("BACK\\SLASH", "B********H"),
        ("A=B C", "A***C"),
        ("홍길동", "홍*동"),
        ('O"NEIL; <J>', "O*********>"),
    ],
)
def test_names_with_special_characters_are_masked_in_list_and_detail(admin_client, reviewer,
                                                                     customer_factory, name,
                                                                     masked, certificate_factory):
    certificate = certificate_factory(customer=customer_factory(name=name))
    subject = pki.load_certificate(bytes(certificate.der)).subject
    [common_name] = subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    assert common_name.value.startswith(f"{name}()")  # the certificate does carry the name
    reviewer_client, _user = reviewer
    for client in (admin_client, reviewer_client):
        for response in (client.get(CHANGELIST), client.get(change_url(certificate))):
            assert response.status_code == 200
            body = page(response)
            assert name not in body
            for word in name.replace(",", " ").replace("+", " ").split():
                if len(word) > 1:
                    assert word not in body, word
            assert masked in body


# -- Staff groups and permissions -------------------------------------------------------------------------

def test_the_data_migration_creates_both_groups():
    reviewers = Group.objects.get(name=REVIEWERS)
    officers = Group.objects.get(name=OFFICERS)
    reviewer_perms = set(reviewers.permissions.values_list("codename", flat=True))
    officer_perms = set(officers.permissions.values_list("codename", flat=True))
    assert "view_certificate" in reviewer_perms and "view_certificateevent" in reviewer_perms
    assert "revoke_certificate" not in reviewer_perms
    assert officer_perms == reviewer_perms | {"revoke_certificate", "clear_dailyfailurecount"}
    assert not {p for p in officer_perms if p.startswith(("change_", "delete_", "add_"))}


def test_reviewer_sees_the_list_and_the_detail(reviewer, certificate):
    client, _user = reviewer
    response = client.get(CHANGELIST)
    assert response.status_code == 200 and listed(response) == [certificate.pk]
    detail = client.get(change_url(certificate))
    assert detail.status_code == 200
    assert pki.fingerprint_sha256(pki.load_certificate(bytes(certificate.der))) in page(detail)
    assert client.get(pem_url(certificate)).status_code == 403


def test_reviewer_cannot_revoke(reviewer, certificate, django_capture_on_commit_callbacks):
    client, _user = reviewer
    listing = client.get(CHANGELIST)
    assert listing.context["action_form"] is None  # no action offered at all
    assert "revoke_selected" not in page(listing)
    assert revoke_url(certificate) not in page(client.get(change_url(certificate)))

    assert client.get(revoke_url(certificate)).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(revoke_url(certificate),
                           {"reason": "key_compromise"}).status_code == 403
        assert client.post(f"{REVOKE_MANY}?ids={certificate.pk}",
                           {"reason": "key_compromise"}).status_code == 403
        client.post(CHANGELIST, {"action": "revoke_selected",
                                 "_selected_action": [certificate.pk], "index": 0})

    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.ACTIVE
    assert not CertificateEvent.objects.filter(kind="revoked").exists()
    assert RevocationList.objects.count() == 0


def test_officer_can_revoke(officer, certificate, django_capture_on_commit_callbacks,
                            published_crl):
    client, user = officer
    assert certificate.serial_int not in crl_serials(client)
    listing = client.get(CHANGELIST)
    choices = [value for value, _label in listing.context["action_form"].fields["action"].choices]
    assert "revoke_selected" in choices
    assert revoke_url(certificate) in page(client.get(change_url(certificate)))

    response = client.post(CHANGELIST, {"action": "revoke_selected",
                                        "_selected_action": [certificate.pk], "index": 0})
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(response["Location"], {"reason": "superseded", "note": "교체",
                                                  "confirm": "on"})
    assert done.status_code == 302
    certificate.refresh_from_db()
    assert certificate.status == Certificate.Status.REVOKED
    event = CertificateEvent.objects.get(kind="revoked")
    assert (event.actor, event.staff_user) == ("staff", user)
    assert certificate.serial_int in crl_serials(client)


def test_staff_without_a_group_sees_nothing(certificate):
    client, _user = staff_client("nobody", None)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(change_url(certificate)).status_code == 403
    assert client.get(revoke_url(certificate)).status_code == 403
    assert client.get(
        reverse("admin:certificates_certificate_pem", args=[certificate.pk])
    ).status_code == 403


def test_anonymous_is_sent_to_the_login_page(client, certificate):
    for url in (CHANGELIST, change_url(certificate), revoke_url(certificate)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# -- The audit trail and the CRLs are read-only -------------------------------------------------------------

@pytest.fixture
def event(certificate):
    return CertificateEvent.objects.get(certificate=certificate, kind="issued")


@pytest.fixture
def crl_row(certificate):
    certificate_revoke(certificate=certificate, reason="key_compromise",
                       actor=CertificateEvent.Actor.SYSTEM)
    return crl_publish()


@pytest.mark.parametrize(
    ("model", "row_fixture"),
    [("certificateevent", "event"), ("revocationlist", "crl_row")],
)
def test_events_and_crls_are_read_only(admin_client, request, model, row_fixture):
    row = request.getfixturevalue(row_fixture)
    changelist = admin_client.get(reverse(f"admin:certificates_{model}_changelist"))
    assert changelist.status_code == 200
    assert changelist.context["has_add_permission"] is False
    assert reverse(f"admin:certificates_{model}_add") not in page(changelist)
    assert admin_client.get(reverse(f"admin:certificates_{model}_add")).status_code == 403
    assert admin_client.post(reverse(f"admin:certificates_{model}_add"), {}).status_code == 403

    change = reverse(f"admin:certificates_{model}_change", args=[row.pk])
    view = admin_client.get(change)
    assert view.status_code == 200  # viewable, with nothing to save
    assert 'name="_save"' not in view.content.decode()
    assert admin_client.post(change, {"reason": "tampered", "entries": 0}).status_code == 403

    delete = reverse(f"admin:certificates_{model}_delete", args=[row.pk])
    assert admin_client.get(delete).status_code == 403
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert "delete_selected" not in page(changelist)
    row.refresh_from_db()
    assert type(row).objects.filter(pk=row.pk).exists()


def test_event_list_shows_the_trail(admin_client, event, certificate, customer):
    response = admin_client.get(reverse("admin:certificates_certificateevent_changelist"),
                                {"q": certificate.serial})
    assert response.status_code == 200
    assert [e.pk for e in response.context["cl"].result_list] == [event.pk]
    body = page(response)
    assert customer.user_id in body and "127.0.0.1" not in body  # issued without a request


def test_reviewer_sees_the_trail_but_cannot_change_it(reviewer, event):
    client, _user = reviewer
    assert client.get(
        reverse("admin:certificates_certificateevent_changelist")).status_code == 200
    change = reverse("admin:certificates_certificateevent_change", args=[event.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"reason": "x"}).status_code == 403


def test_admin_index_lists_the_models(admin_client):
    body = page(admin_client.get(reverse("admin:index")))
    for name in ["인증서", "인증서 이력", "인증서 폐지 목록(CRL)", "고객"]:
        assert name in body
    assert "보관 키" not in body
