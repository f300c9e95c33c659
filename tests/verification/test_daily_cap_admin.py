"""The daily cap in admin: reviewers see who is stopped for the day, only officers may clear it."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from certcenter.clock import today
from tests.conftest import staff_login
from verification.models import DailyFailureCount

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:verification_dailyfailurecount_changelist")


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.VERIFICATION_DAILY_MAX_FAILURES = 10


def staff(username, group_name):
    return staff_login(username, group_name)[0]


@pytest.fixture
def capped(customer):
    return DailyFailureCount.objects.create(customer=customer, day=today(), failures=10)


def clear(client, row):
    return client.post(CHANGELIST, {"action": "clear_selected", "_selected_action": [row.pk],
                                    "index": 0})


def test_an_officer_clears_the_cap(capped, customer):
    officer = staff("officer", "인증서 관리자")
    listing = officer.get(CHANGELIST)
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "clear_selected" in page
    assert "hong (홍*동)" in page and "홍길동" not in page  # the customer masked, as elsewhere

    response = clear(officer, capped)
    assert response.status_code == 302
    capped.refresh_from_db()
    assert capped.failures == 0
    entry = LogEntry.objects.get(object_id=str(customer.pk))
    assert entry.user.username == "officer" and "해제" in entry.get_change_message()


def test_a_reviewer_sees_the_list_but_may_not_clear(capped):
    reviewer = staff("reviewer", "인증서 검토자")
    listing = reviewer.get(CHANGELIST)
    assert listing.status_code == 200
    assert "clear_selected" not in listing.content.decode()
    assert clear(reviewer, capped).status_code == 403
    capped.refresh_from_db()
    assert capped.failures == 10


def test_the_page_is_read_only(admin_client, capped):
    change = reverse("admin:verification_dailyfailurecount_change", args=[capped.pk])
    assert admin_client.get(change).status_code == 200
    assert admin_client.post(change, {"failures": "0"}).status_code == 403
    assert admin_client.get(reverse("admin:verification_dailyfailurecount_add")).status_code == 403
    assert admin_client.get(CHANGELIST, {"q": "hong"}).status_code == 200
