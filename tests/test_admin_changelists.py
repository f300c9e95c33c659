"""Every model admin of the project: a changelist is narrowed only by its declared filters.

A masked value must stay unrecoverable, so no URL parameter may filter on a column directly
(``?phone__startswith=+8210123`` would confirm hidden digits one request at a time).
"""

import html
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import User
from django.urls import reverse

from accounts.phone import normalize_phone
from certificates.exports import export_record_start
from certificates.lifecycle import certificate_revoke
from certificates.models import CertificateEvent, RenewalFailure, RenewalRun
from certificates.publication import crl_publish
from certificates.renewal import certificates_renew, error_text
from tests.conftest import staff_login
from verification.services import ars_call_start, fraud_report_call, sms_send, sms_verify

pytestmark = pytest.mark.django_db

SIMULATED = "verification.backends.simulated.SimulatedBackend"


def our_admins():
    """The registered admins of this project's apps (not Django's auth admin, nor a package's)."""
    base = Path(settings.BASE_DIR).resolve()
    found = []
    for model, model_admin in admin.site._registry.items():
        path = Path(model._meta.app_config.path).resolve()
        if model._meta.label == "simulator.SimulatorAction":
            continue  # the 시뮬레이터 제어 page, not a list: it reads no query (tests/simulator/)
        if path.is_relative_to(base) and "site-packages" not in path.parts:
            found.append((model, model_admin))
    return found


def changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


@pytest.fixture(autouse=True)
def fast_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PIN_SCRYPT_N = 2**10
    settings.SMS_BACKEND = SIMULATED
    settings.ARS_BACKEND = SIMULATED


@pytest.fixture
def records(customer, customer_factory, certificate_factory, django_capture_on_commit_callbacks):
    """A row in every admin's table, so a lookup that got through would find something."""
    with django_capture_on_commit_callbacks(execute=True):
        certificate = certificate_factory()
        other = certificate_factory(customer=customer_factory())
        certificate_revoke(certificate=other, reason="key_compromise",
                           actor=CertificateEvent.Actor.SYSTEM)
        code = sms_send(phone=customer.phone, purpose="issue.sms", customer=customer)
        sms_verify(challenge_id=code.pk, code="not a code")  # counts toward the daily cap
        ars_call_start(phone="010-5555-6666", purpose="issue.ars")
    fraud_report_call(phone=normalize_phone("010-5555-6666"))
    crl_publish()
    # A renewal run with a failure, and a CSV export whose search term was the customer's name.
    certificates_renew(dry_run=True)
    run = RenewalRun.objects.get()
    RenewalFailure.objects.create(run=run, certificate=certificate, serial=certificate.serial,
                                  error=error_text(ValueError(f"bad {customer.name} {customer.phone}")))
    export_record_start(staff_user=User.objects.create_user("exporter", is_staff=True),
                        client_ip="10.0.0.1", filters={"q": customer.name})
    models = {model for model, _admin in our_admins()}
    for model in models:
        assert model._default_manager.exists(), model
    return certificate


def staff(username, group):
    return staff_login(username, group)


@pytest.fixture
def roles(admin_client, admin_user):
    return {
        "superuser": (admin_client, admin_user),
        "officer": staff("officer", "인증서 관리자"),
        "reviewer": staff("reviewer", "인증서 검토자"),
    }


def can_view(user, model):
    opts = model._meta
    return user.has_perm(f"{opts.app_label}.view_{opts.model_name}") or user.has_perm(
        f"{opts.app_label}.change_{opts.model_name}")


def test_the_walk_covers_every_app():
    labels = {model._meta.label for model, _admin in our_admins()}
    assert {"accounts.Customer", "certificates.Certificate", "certificates.CertificateEvent",
            "certificates.RevocationList", "verification.Challenge",
            "verification.HandsetMessage"} <= labels
    assert "auth.User" not in labels


def test_changelists_filter_only_through_declared_filters(records, roles):
    for model, model_admin in our_admins():
        url = changelist(model)
        for role, (client, user) in roles.items():
            if not can_view(user, model):
                assert client.get(url).status_code == 403, (model, role)
                continue
            listing = client.get(url)
            assert listing.status_code == 200, (model, role)
            specs = listing.context["cl"].filter_specs
            assert len(specs) == len(model_admin.list_filter), (model, role)
            declared = {name for spec in specs for name in spec.expected_parameters()}
            # Any other lookup on any column is refused outright, never answered with a list.
            for field in model._meta.concrete_fields:
                for lookup in {field.name, f"{field.name}__startswith"} - declared:
                    response = client.get(url, {lookup: "x"})
                    assert response.status_code == 400, (model, role, lookup, response.status_code)
            # Every choice of every declared filter still filters.
            for spec in specs:
                choices = [c for c in spec.choices(listing.context["cl"]) if not c["selected"]]
                assert choices, (model, spec.title)
                for choice in choices:
                    query = dict(parse_qsl(choice["query_string"].lstrip("?"),
                                           keep_blank_values=True))
                    response = client.get(url, query)
                    assert response.status_code == 200, (model, role, query)
                    assert response.context["cl"].has_active_filters, (model, role, query)
            if model_admin.date_hierarchy:
                year = {f"{model_admin.date_hierarchy}__year": str(records.created_at.year)}
                response = client.get(url, year)
                assert response.status_code == 200, (model, role)
                assert len(response.context["cl"].result_list) >= 1


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("admin:accounts_customer_changelist", {"phone": "+821012345678"}),
        ("admin:accounts_customer_changelist", {"phone__startswith": "+82101234"}),
        ("admin:accounts_customer_changelist", {"email__startswith": "h"}),
        ("admin:accounts_customer_changelist", {"name": "홍길동"}),
        ("admin:accounts_customer_changelist", {"name__startswith": "홍길"}),
        ("admin:accounts_customer_changelist", {"resident_number_hash__startswith": "a"}),
        ("admin:certificates_certificate_changelist", {"issued_phone__startswith": "+8210"}),
        ("admin:certificates_certificate_changelist", {"issued_name": "홍길동"}),
        ("admin:certificates_certificate_changelist", {"customer__name": "홍길동"}),
        ("admin:certificates_certificate_changelist", {"status__exact": "active",
                                                       "issued_name__startswith": "홍"}),
        ("admin:verification_challenge_changelist", {"phone__startswith": "+8210"}),
        ("admin:verification_challenge_changelist", {"code_hmac__startswith": "a"}),
        ("admin:verification_challenge_changelist", {"flow_id__startswith": "a"}),
        ("admin:verification_challenge_changelist", {"created_at__gte": "2000-01-01"}),
    ],
)
def test_the_reported_lookups_are_refused(records, roles, url, query):
    for role, (client, _user) in roles.items():
        assert client.get(reverse(url), query).status_code == 400, role


@pytest.mark.parametrize(
    "query",
    [{"q": "hong"}, {"p": "1"}, {"o": "1"}, {"all": ""}, {"e": "1"}, {"_popup": "1"},
     {"_popup": "1", "_to_field": "id"}, {"_facets": "1"}, {"_changelist_filters": "kind__exact=x"}],
)
def test_djangos_own_parameters_still_reach_the_changelist(records, roles, query):
    for model, _model_admin in our_admins():
        for role, (client, user) in roles.items():
            if not can_view(user, model):
                continue
            if query.get("_to_field"):
                query = {**query, "_to_field": model._meta.pk.name}
            response = client.get(changelist(model), query)
            # _changelist_filters is no lookup: Django sends it to its "?e=1" page, as it always did.
            assert response.status_code in (200, 302), (model, role, query)


PERSONAL = ["홍길동", "길동", "010-1234-5678", "01012345678", "+821012345678", "1234-5678",
            "hong@example.com", "1234568"]


def test_no_admin_page_shows_personal_data_to_view_only_staff(records, roles, customer):
    """Every list, detail and history page of every admin, as the staff who see data masked."""
    from django.contrib.admin.models import CHANGE, LogEntry

    # A change by a superuser leaves a history row (its text is the object's str()).
    LogEntry.objects.log_actions(user_id=roles["superuser"][1].pk, queryset=[customer],
                                 action_flag=CHANGE, change_message="[]")
    pages = 0
    for model, _model_admin in our_admins():
        opts = model._meta
        for role in ("officer", "reviewer"):
            client, user = roles[role]
            if not can_view(user, model):
                continue
            urls = [changelist(model)]
            for obj in model._default_manager.all():
                urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change",
                                    args=[obj.pk]))
                urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_history",
                                    args=[obj.pk]))
            for url in urls:
                response = client.get(url)
                assert response.status_code == 200, (role, url)
                body = html.unescape(response.content.decode())
                for value in PERSONAL:
                    assert value not in body, (role, url, value)
                pages += 1
    assert pages > 20
