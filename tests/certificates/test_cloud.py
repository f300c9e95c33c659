"""클라우드 연결, 자동 연결 and 이용 기기, through the test client as a customer's browsers would."""

import re
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
import time_machine
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import Customer
from certcenter.clock import now
from certificates.cloud import session as cloud_session
from certificates.cloud.devices import device_label, device_token_hashes
from certificates.cloud.views import CODE_REQUESTED, default_next
from certificates.models import CertificateEvent, CloudDevice
from verification.backends import locmem
from verification.models import Challenge

CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/126.0.0.0 Mobile Safari/537.36")
COOKIE = cloud_session.DEVICE_COOKIE


def connect_url(**query):
    url = reverse("certificates:cloud_connect")
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


DEVICES = "/personal/finance-cert/cloud/devices/"


class Browser:
    """One browser (a test client with its own cookies) at the 클라우드 연결 pages."""

    def __init__(self, capture, *, ip="203.0.113.10", user_agent=CHROME_ANDROID):
        self.client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=user_agent)
        self.capture = capture

    def post(self, url, data):
        with self.capture(execute=True):
            return self.client.post(url, data)

    def get(self, url):
        with self.capture(execute=True):
            return self.client.get(url)

    @staticmethod
    def details(customer, **overrides):
        data = {"name": customer.name, "birth_date": customer.birth_date.strftime("%Y%m%d"),
                "phone": customer.phone_display}
        data.update(overrides)
        return data

    def request_code(self, customer, url=None, **overrides):
        return self.post(url or connect_url(), {"action": "send", **self.details(customer, **overrides)})

    def enter(self, code, url=None, remember=False):
        data = {"action": "verify", "code": code}
        if remember:
            data["remember"] = "on"
        return self.post(url or connect_url(), data)

    def connect(self, customer, remember=False, url=None):
        self.request_code(customer, url=url)
        return self.enter(last_code(), url=url, remember=remember)

    @property
    def cookie(self):
        morsel = self.client.cookies.get(COOKIE)
        return morsel.value if morsel is not None and morsel.value else None


def last_code():
    sms = [d for d in locmem.outbox if d.kind == "sms"]
    return re.search(r"\[(\d{6})\]", sms[-1].body).group(1)


def sms_count():
    return len([d for d in locmem.outbox if d.kind == "sms"])


def errors(response, form):
    found = response.context[form].errors.as_data()
    return {name: [e.code for e in errs] for name, errs in found.items()}


def connected_customer_id(client):
    data = client.session.get(cloud_session.CLOUD_SESSION_KEY)
    return data and data["customer"]


def events(kind):
    return list(CertificateEvent.objects.filter(kind=kind).order_by("id"))


@pytest.fixture
def browser(django_capture_on_commit_callbacks):
    return Browser(django_capture_on_commit_callbacks)


@pytest.fixture
def browser_factory(django_capture_on_commit_callbacks):
    def make(**kwargs):
        return Browser(django_capture_on_commit_callbacks, **kwargs)

    return make


@pytest.fixture
def no_cooldown(settings):
    settings.SMS_RESEND_COOLDOWN = 0


# --- pages and the connection they require ---------------------------------------------------------


def test_the_connect_page_asks_for_name_birth_date_and_phone(browser):
    page = browser.get(connect_url())
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("인증센터", "개인 · 금융인증서", "클라우드 연결", "이름", "생년월일", "휴대폰 번호",
                  "이 브라우저 자동 연결"):
        assert label in text
    assert 'autocomplete="one-time-code"' in text
    assert page["Cache-Control"].startswith("max-age=0")
    assert sms_count() == 0


def test_a_page_that_needs_the_connection_sends_to_connect_and_back(browser):
    response = browser.get(DEVICES + "?x=1")
    assert response.status_code == 302
    assert response["Location"] == connect_url(next=DEVICES + "?x=1")


def test_the_url_names_other_rooms_link_to():
    assert reverse("certificates:cloud_connect") == "/personal/finance-cert/cloud/"
    assert reverse("certificates:cloud_disconnect") == "/personal/finance-cert/cloud/disconnect/"
    assert reverse("certificates:cloud_devices") == DEVICES


# --- asking for a code ------------------------------------------------------------------------------


def test_the_right_details_send_a_code_that_names_the_cloud_connection(browser, customer):
    response = browser.request_code(customer)
    assert response.status_code == 302
    (sms,) = [d for d in locmem.outbox if d.kind == "sms"]
    assert sms.phone == customer.phone
    assert "금융인증서 클라우드 연결" in sms.body
    challenge = Challenge.objects.get()
    assert challenge.purpose == "cloud.sms" and challenge.customer == customer
    page = browser.get(response["Location"])
    assert str(CODE_REQUESTED) in page.content.decode()


def _neutral(page):
    """The page without what differs by request anyway: the values in the boxes, CSRF tokens."""
    return re.sub(r'\svalue="[^"]*"', "", page.content.decode())


@pytest.mark.parametrize("overrides", [
    {"name": "김철수"},
    {"birth_date": "19900102"},
    {"phone": "010-9876-5432"},
])
def test_wrong_details_send_nothing_and_get_the_same_answer(browser_factory, customer, overrides):
    matching, other = browser_factory(), browser_factory(ip="203.0.113.11")
    with time_machine.travel(now(), tick=False):
        right = matching.request_code(customer)
        wrong = other.request_code(customer, **overrides)
        assert sms_count() == 1  # the customer's only
        assert wrong.status_code == right.status_code == 302
        assert wrong["Location"] == right["Location"]
        pages = [matching.get(connect_url()), other.get(connect_url())]
    assert str(CODE_REQUESTED) in pages[1].content.decode()
    assert _neutral(pages[0]) == _neutral(pages[1])
    assert CertificateEvent.objects.filter(kind="verification_failed", customer=None,
                                           reason__contains="불일치").count() == 1


@pytest.mark.parametrize("kind", ["not_enrolled", "corporate", "twins"])
def test_details_of_no_single_enrolled_personal_customer_send_nothing(browser, customer_factory,
                                                                      kind):
    fields = {"phone": "010-2222-3333"}
    if kind == "not_enrolled":
        fields["internet_banking_enrolled"] = False
    if kind == "corporate":
        fields["kind"] = Customer.Kind.CORPORATE
    someone = customer_factory(**fields)
    if kind == "twins":
        customer_factory(**fields)  # same name, birth date and phone: who is meant is unknown
    response = browser.request_code(someone)
    assert response.status_code == 302
    assert sms_count() == 0


def test_malformed_details_are_pointed_out_and_not_counted(browser, customer, settings):
    settings.LOOKUP_MAX_FAILURES = 1
    response = browser.request_code(customer, birth_date="1990-13-01", phone="010-123-4567")
    assert response.status_code == 200
    assert errors(response, "identity_form") == {"birth_date": ["birth_date"],
                                                 "phone": ["invalid"]}
    assert browser.request_code(customer).status_code == 302  # the one request allowed
    assert sms_count() == 1


def test_code_requests_are_throttled_per_client_ip(browser_factory, customer, settings):
    settings.LOOKUP_MAX_FAILURES = 5
    browser = browser_factory()
    for n in range(5):
        assert browser.request_code(customer, phone=f"010-9999-000{n}").status_code == 302
    refused = browser.request_code(customer)  # right details, but the IP has had its five
    assert refused.status_code == 200
    assert errors(refused, "identity_form") == {"__all__": ["throttled"]}
    assert "10분 뒤" in refused.content.decode()
    assert sms_count() == 0
    assert CertificateEvent.objects.filter(reason__startswith="클라우드 연결 제한").count() == 1
    # Another client is not held up.
    assert browser_factory(ip="198.51.100.7").request_code(customer).status_code == 302
    assert sms_count() == 1


def test_the_throttle_counts_matches_too_so_it_does_not_tell_them_apart(browser, customer,
                                                                         settings, no_cooldown):
    settings.LOOKUP_MAX_FAILURES = 3
    browser.request_code(customer, phone="010-9999-0001")
    browser.request_code(customer)
    browser.request_code(customer, phone="010-9999-0002")
    assert errors(browser.request_code(customer, phone="010-9999-0003"),
                  "identity_form") == {"__all__": ["throttled"]}


def test_the_throttle_window_ends(browser, customer, settings):
    settings.LOOKUP_MAX_FAILURES = 1
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        browser.request_code(customer, phone="010-9999-0001")
        assert browser.request_code(customer).status_code == 200
        clock.shift(timedelta(seconds=settings.LOOKUP_FAILURE_WINDOW + 1))
        assert browser.request_code(customer).status_code == 302
    assert sms_count() == 1


@pytest.mark.parametrize("match", [True, False])
def test_a_new_code_for_the_same_phone_waits_for_the_cooldown(browser, customer, settings, match):
    phone = {} if match else {"phone": "010-9999-0001"}
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        browser.request_code(customer, **phone)
        early = browser.request_code(customer, **phone)
        assert early.status_code == 200
        assert errors(early, "identity_form") == {"__all__": ["cooldown"]}
        assert "60초 후에" in early.content.decode()
        clock.shift(timedelta(seconds=settings.SMS_RESEND_COOLDOWN))
        assert browser.request_code(customer, **phone).status_code == 302
    assert sms_count() == (2 if match else 0)


def test_a_code_request_by_get_sends_nothing(browser, customer):
    response = browser.get(connect_url(action="send", **Browser.details(customer)))
    assert response.status_code == 200
    assert sms_count() == 0 and not Challenge.objects.exists()


def test_when_verification_will_not_send_the_answer_is_the_same(browser_factory, customer):
    """A second browser asking within the phone's cooldown: verification refuses, nothing says so."""
    first, second = browser_factory(), browser_factory(ip="203.0.113.11")
    first.request_code(customer)
    response = second.request_code(customer)
    assert response.status_code == 302
    assert sms_count() == 1
    assert "(cooldown)" in CertificateEvent.objects.get(reason__contains="발송 제한").reason


# --- entering the code ------------------------------------------------------------------------------


def test_a_code_before_asking_for_one(browser):
    response = browser.enter("123456")
    assert response.status_code == 200
    assert errors(response, "code_form") == {"__all__": ["no_code"]}


def test_a_wrong_code_then_the_right_one_connects_with_a_new_session_key(browser, customer):
    browser.request_code(customer)
    code = last_code()
    wrong = browser.enter("000000" if code != "000000" else "111111")
    assert wrong.status_code == 200
    assert errors(wrong, "code_form") == {"code": ["wrong"]}
    assert "남은 횟수 4회" in wrong.content.decode()
    assert connected_customer_id(browser.client) is None
    key = browser.client.session.session_key
    response = browser.enter(code)
    assert response.status_code == 302
    assert response["Location"] == default_next()
    assert browser.client.session.session_key != key
    assert connected_customer_id(browser.client) == customer.pk
    assert browser.cookie is None  # 자동 연결 not ticked
    (event,) = events("cloud_connected")
    assert (event.customer, event.actor, event.client_ip, event.reason) == (
        customer, "customer", "203.0.113.10", "SMS 인증")
    assert browser.get(DEVICES).status_code == 200


def test_a_malformed_code_is_not_an_attempt(browser, customer):
    browser.request_code(customer)
    response = browser.enter("12a4")
    assert errors(response, "code_form") == {"code": ["format"]}
    assert Challenge.objects.get().attempts == 0


def _answers(browser, count):
    return [errors(browser.enter("000000"), "code_form")["code"][0] for _ in range(count)]


@pytest.fixture
def unguessable(monkeypatch):
    """Every code is 999999, so "000000" is always wrong."""
    from verification.codes import default_code_generator

    monkeypatch.setattr(default_code_generator, "make_sms_code", lambda: "999999")


def test_entries_without_a_code_are_answered_as_wrong_ones(browser_factory, customer, settings,
                                                           unguessable):
    """The same answers, entry by entry, whether a code was sent or not."""
    settings.VERIFICATION_DAILY_MAX_FAILURES = 7
    sequences, messages = [], []
    for n, overrides in enumerate([{}, {"phone": "010-9999-0001"}]):
        browser = browser_factory(ip=f"203.0.113.{20 + n}")
        start = now()
        with time_machine.travel(start, tick=False) as clock:
            browser.request_code(customer, **overrides)
            answers = _answers(browser, 6)  # five wrong, then one more on the exhausted code
            clock.shift(timedelta(seconds=settings.SMS_RESEND_COOLDOWN))
            browser.request_code(customer, **overrides)
            answers += _answers(browser, 3)  # two to the day's cap (7), then one past it
            clock.shift(timedelta(seconds=settings.SMS_RESEND_COOLDOWN))
            browser.request_code(customer, **overrides)  # refused by verification if real
            answers += _answers(browser, 1)
            last = browser.enter("000000")
        sequences.append(answers)
        messages.append(errors(last, "code_form") and last.context["code_form"].errors["code"])
    assert sequences[0] == sequences[1] == [
        "wrong", "wrong", "wrong", "wrong", "exhausted", "exhausted",
        "wrong", "daily_cap", "daily_cap", "daily_cap"]
    assert messages[0] == messages[1]
    assert sms_count() == 2


@pytest.mark.parametrize("overrides", [{}, {"phone": "010-9999-0001"}])
def test_a_code_expires_after_its_validity_whether_sent_or_not(browser, customer, settings,
                                                                overrides, unguessable):
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        browser.request_code(customer, **overrides)
        clock.shift(timedelta(seconds=settings.SMS_CODE_TTL))
        assert errors(browser.enter("000000"), "code_form") == {"code": ["wrong"]}
        clock.shift(timedelta(seconds=1))
        assert errors(browser.enter("999999"), "code_form") == {"code": ["expired"]}
    assert connected_customer_id(browser.client) is None


def test_the_code_page_keeps_the_typed_details_and_shows_the_time_left(browser, customer, settings):
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        browser.request_code(customer)
        clock.shift(timedelta(seconds=30))
        page = browser.get(connect_url())
    assert page.context["expires_in"] == settings.SMS_CODE_TTL - 30
    assert page.context["resend_in"] == settings.SMS_RESEND_COOLDOWN - 30
    form = page.context["identity_form"]
    assert form["name"].value() == customer.name
    assert form["phone"].value() == customer.phone_display


# --- where to go afterwards -------------------------------------------------------------------------


def test_next_is_honoured_for_a_local_path(browser, customer):
    url = connect_url(next=DEVICES)
    response = browser.connect(customer, url=url)
    assert response["Location"] == DEVICES


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "http://testserver@evil.example/",
    "/\\evil.example/", "javascript:alert(1)", "\\\\evil.example",
])
def test_next_to_another_site_is_refused(browser, customer, target):
    response = browser.connect(customer, url=connect_url(next=target))
    assert response.status_code == 302
    assert response["Location"] == default_next()


def test_after_a_code_request_next_is_kept(browser, customer):
    response = browser.request_code(customer, url=connect_url(next=DEVICES))
    assert response["Location"] == connect_url(next=DEVICES)


def test_a_connected_browser_sees_who_and_may_disconnect(browser, customer):
    browser.connect(customer)
    page = browser.get(connect_url(next=DEVICES))
    text = page.content.decode()
    assert "홍*동" in text and "홍길동" not in text
    assert f'href="{DEVICES}"' in text
    assert reverse("certificates:cloud_disconnect") in text


# --- 자동 연결 --------------------------------------------------------------------------------------


def _token(browser):
    request = RequestFactory().get("/")
    request.COOKIES[COOKIE] = browser.cookie
    return request.get_signed_cookie(COOKIE, salt=cloud_session.COOKIE_SALT)


def _signed(token):
    response = HttpResponse()
    response.set_signed_cookie(COOKIE, token, salt=cloud_session.COOKIE_SALT)
    return response.cookies[COOKIE].value


def test_auto_connect_registers_this_browser_with_a_safe_cookie(browser, customer, settings):
    response = browser.connect(customer, remember=True)
    assert response.status_code == 302
    device = CloudDevice.objects.get()
    assert device.customer == customer
    assert device.label == "Chrome · Android"
    assert device.expires_at == device.created_at + timedelta(days=365)
    morsel = response.cookies[COOKIE]
    assert morsel["httponly"] and morsel["samesite"] == "Lax"
    assert bool(morsel["secure"]) == settings.SESSION_COOKIE_SECURE
    assert int(morsel["max-age"]) == 365 * 24 * 3600
    assert browser.client.session[cloud_session.CLOUD_SESSION_KEY]["device"] == device.pk
    assert events("cloud_connected")[0].reason == "SMS 인증, 이 브라우저 자동 연결 등록"


def test_the_cookie_is_secure_unless_configured_otherwise(browser_factory, customer, settings):
    settings.SESSION_COOKIE_SECURE = True
    response = browser_factory().connect(customer, remember=True)
    assert response.cookies[COOKIE]["secure"]


def test_the_token_is_not_stored_in_clear(browser, customer):
    browser.connect(customer, remember=True)
    token = _token(browser)
    assert len(token) >= 40
    row = CloudDevice.objects.values().get()
    assert all(token not in str(value) for value in row.values())
    assert row["token_hash"] == device_token_hashes(token)[0] != token


def test_the_auto_connect_days_come_from_settings(browser, customer, settings):
    settings.CLOUD_AUTO_CONNECT_DAYS = 30
    response = browser.connect(customer, remember=True)
    device = CloudDevice.objects.get()
    assert device.expires_at - device.created_at == timedelta(days=30)
    assert int(response.cookies[COOKIE]["max-age"]) == 30 * 24 * 3600


def _new_browser_with(browser, browser_factory, **kwargs):
    other = browser_factory(**kwargs)
    other.client.cookies = SimpleCookie({COOKIE: browser.cookie})
    return other


def test_the_cookie_connects_a_new_session_and_updates_the_last_use(browser, browser_factory,
                                                                    customer):
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        browser.connect(customer, remember=True)
        clock.shift(timedelta(days=3))
        later = _new_browser_with(browser, browser_factory, ip="198.51.100.9")
        page = later.get(DEVICES)
        assert page.status_code == 200
        assert connected_customer_id(later.client) == customer.pk
        assert CloudDevice.objects.get().last_used_at == start + timedelta(days=3)
    event = events("cloud_connected")[-1]
    assert (event.customer, event.reason, event.client_ip) == (customer, "자동 연결", "198.51.100.9")
    assert page.context["current_device"] == CloudDevice.objects.get().pk
    assert "현재 브라우저" in page.content.decode()


def test_a_session_connected_by_a_device_keeps_its_last_use_current(browser, customer):
    start = now()
    with time_machine.travel(start, tick=False) as clock:
        browser.connect(customer, remember=True)
        clock.shift(cloud_session.LAST_USE_RESOLUTION - timedelta(seconds=1))
        browser.get(DEVICES)
        assert CloudDevice.objects.get().last_used_at == start  # not a write per request
        clock.shift(timedelta(seconds=1))
        browser.get(DEVICES)
        assert CloudDevice.objects.get().last_used_at == start + cloud_session.LAST_USE_RESOLUTION


def test_auto_connect_also_works_on_the_connect_page(browser, browser_factory, customer):
    browser.connect(customer, remember=True)
    later = _new_browser_with(browser, browser_factory)
    page = later.get(connect_url())
    assert page.context["connected"]
    assert connected_customer_id(later.client) == customer.pk


@pytest.mark.parametrize(("extra_seconds", "connects"), [(0, True), (1, False)])
def test_a_device_connects_until_exactly_its_days_are_over(browser, browser_factory, customer,
                                                          settings, extra_seconds, connects):
    start = now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        browser.connect(customer, remember=True)
        clock.shift(timedelta(days=settings.CLOUD_AUTO_CONNECT_DAYS, seconds=extra_seconds))
        later = _new_browser_with(browser, browser_factory)
        response = later.get(DEVICES)
    assert (response.status_code == 200) is connects
    assert (connected_customer_id(later.client) == customer.pk) is connects
    if not connects:
        assert response["Location"].startswith(connect_url())
        assert response.cookies[COOKIE].value == ""  # deleted
        assert len(events("cloud_connected")) == 1


def test_a_session_connected_by_a_device_ends_when_the_device_expires(browser, customer, settings):
    settings.CLOUD_AUTO_CONNECT_DAYS = 1
    settings.SESSION_COOKIE_AGE = 3 * 24 * 3600  # the session itself outlives the device here
    start = now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        browser.connect(customer, remember=True)
        clock.shift(timedelta(days=1))
        assert browser.get(DEVICES).status_code == 200
        clock.shift(timedelta(seconds=1))
        response = browser.get(DEVICES)
    assert response.status_code == 302
    assert connected_customer_id(browser.client) is None


def test_a_revoked_device_cookie_is_ignored_and_deleted(browser, browser_factory, customer):
    browser.connect(customer, remember=True)
    CloudDevice.objects.update(revoked_at=now())
    later = _new_browser_with(browser, browser_factory)
    response = later.get(DEVICES)
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == ""
    assert connected_customer_id(later.client) is None


@pytest.mark.parametrize("value", ["forged", "x" * 300])
def test_a_forged_cookie_is_ignored_and_deleted(browser, customer, value):
    browser.client.cookies = SimpleCookie({COOKIE: value})
    response = browser.get(DEVICES)
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == ""


def test_a_token_signed_without_its_device_connects_nobody(browser, customer):
    browser.connect(customer, remember=True)
    forged = _signed("a" * 43)
    fresh = Client()
    fresh.cookies = SimpleCookie({COOKIE: forged})
    response = fresh.get(DEVICES)
    assert response.status_code == 302
    assert response.cookies[COOKIE].value == ""


def test_a_browser_connects_one_customer_at_a_time(browser, customer, customer_factory):
    other = customer_factory(phone="010-2222-3333")
    browser.connect(other, remember=True)
    theirs = CloudDevice.objects.get()
    browser.connect(customer)  # another customer on the same browser, 자동 연결 not ticked
    assert connected_customer_id(browser.client) == customer.pk
    assert browser.cookie is None  # after this one disconnects, no falling back to the other
    theirs.refresh_from_db()
    assert theirs.revoked_at is not None
    event = events("cloud_disconnected")[-1]
    assert (event.customer, event.actor) == (other, "system")
    assert event.reason.startswith("이 브라우저에서 다른 고객이")


def test_registering_again_replaces_this_browsers_device(browser, customer, no_cooldown):
    browser.connect(customer, remember=True)
    browser.connect(customer, remember=True)
    assert CloudDevice.objects.count() == 2
    assert CloudDevice.objects.filter(revoked_at=None).count() == 1


def test_connecting_by_code_keeps_this_browsers_own_device(browser, customer, no_cooldown):
    browser.connect(customer, remember=True)
    device = CloudDevice.objects.get()
    session = browser.client.session
    session.pop(cloud_session.CLOUD_SESSION_KEY)
    session.save()
    # The cookie connects on any page; the connect form posted anyway keeps the device.
    browser.connect(customer)
    assert browser.client.session[cloud_session.CLOUD_SESSION_KEY]["device"] == device.pk
    device.refresh_from_db()
    assert device.revoked_at is None


# --- 연결 해제 --------------------------------------------------------------------------------------


def test_disconnect_ends_the_connection_and_this_browsers_device(browser, customer):
    browser.connect(customer, remember=True)
    response = browser.post(reverse("certificates:cloud_disconnect"), {})
    assert response.status_code == 302
    assert response["Location"] == connect_url()
    assert connected_customer_id(browser.client) is None
    assert response.cookies[COOKIE].value == ""
    assert CloudDevice.objects.get().revoked_at is not None
    (event,) = events("cloud_disconnected")
    assert (event.customer, event.reason, event.client_ip) == (
        customer, "클라우드 연결 해제, 이 브라우저 자동 연결 해제", "203.0.113.10")
    assert browser.get(DEVICES).status_code == 302


def test_disconnect_without_a_device(browser, customer):
    browser.connect(customer)
    browser.post(reverse("certificates:cloud_disconnect"), {})
    assert connected_customer_id(browser.client) is None
    assert events("cloud_disconnected")[0].reason == "클라우드 연결 해제"


def test_disconnect_when_not_connected_changes_nothing(browser, db):
    response = browser.post(reverse("certificates:cloud_disconnect"), {})
    assert response.status_code == 302
    assert not events("cloud_disconnected")


def test_disconnect_by_get_is_refused(browser, customer):
    browser.connect(customer, remember=True)
    assert browser.get(reverse("certificates:cloud_disconnect")).status_code == 405
    assert connected_customer_id(browser.client) == customer.pk
    assert CloudDevice.objects.get().revoked_at is None


def test_disconnect_needs_the_csrf_token(customer, django_capture_on_commit_callbacks):
    browser = Browser(django_capture_on_commit_callbacks)
    browser.connect(customer)
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = browser.client.cookies
    assert strict.post(reverse("certificates:cloud_disconnect")).status_code == 403
    assert connected_customer_id(browser.client) == customer.pk


# --- 이용 기기 --------------------------------------------------------------------------------------


@pytest.fixture
def two_browsers(browser_factory, customer, no_cooldown):
    """The customer's phone and PC, both registered for 자동 연결."""
    phone = browser_factory()
    phone.connect(customer, remember=True)
    pc = browser_factory(ip="198.51.100.20", user_agent=(
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"))
    pc.connect(customer, remember=True)
    return phone, pc


def test_the_device_list_shows_each_browser_with_its_last_use(two_browsers):
    phone, pc = two_browsers
    page = pc.get(DEVICES)
    listed = list(page.context["devices"])
    assert [d.label for d in listed] == ["Edge · Windows", "Chrome · Android"]
    assert page.context["current_device"] == listed[0].pk
    text = page.content.decode()
    assert text.count("현재 브라우저") == 1
    assert "마지막 사용" in text


def test_disconnecting_another_device_ends_that_browsers_connection(two_browsers):
    phone, pc = two_browsers
    phone_device = CloudDevice.objects.get(label="Chrome · Android")
    response = pc.post(DEVICES, {"action": "disconnect", "device": phone_device.pk})
    assert response["Location"] == DEVICES
    phone_device.refresh_from_db()
    assert phone_device.revoked_at is not None
    assert pc.get(DEVICES).status_code == 200  # still connected here
    assert phone.get(DEVICES).status_code == 302  # its session was connected by that device
    assert events("cloud_disconnected")[-1].reason == "이용 기기 해제: Chrome · Android"


def test_disconnecting_this_device_ends_this_connection(two_browsers):
    phone, pc = two_browsers
    own = CloudDevice.objects.get(label="Edge · Windows")
    response = pc.post(DEVICES, {"action": "disconnect", "device": own.pk})
    assert response["Location"] == connect_url()
    assert response.cookies[COOKIE].value == ""
    assert connected_customer_id(pc.client) is None
    assert phone.get(DEVICES).status_code == 200


def test_disconnecting_all_devices(two_browsers, customer):
    phone, pc = two_browsers
    response = pc.post(DEVICES, {"action": "disconnect_all"})
    assert response["Location"] == connect_url()
    assert not CloudDevice.objects.filter(revoked_at=None).exists()
    assert connected_customer_id(pc.client) is None
    assert phone.get(DEVICES).status_code == 302
    assert events("cloud_disconnected")[-1].reason == "모든 이용 기기 해제 (2대)"


def test_disconnect_all_ends_a_connection_made_by_code_only(browser, customer):
    browser.connect(customer)
    browser.post(DEVICES, {"action": "disconnect_all"})
    assert connected_customer_id(browser.client) is None


def test_a_customer_never_sees_or_touches_anothers_devices(two_browsers, browser_factory,
                                                          customer_factory):
    other = customer_factory(phone="010-2222-3333")
    stranger = browser_factory(ip="192.0.2.1")
    stranger.connect(other, remember=True)
    page = stranger.get(DEVICES)
    assert [d.customer_id for d in page.context["devices"]] == [other.pk]
    theirs = CloudDevice.objects.filter(customer__user_id="hong").first()
    response = stranger.post(DEVICES, {"action": "disconnect", "device": theirs.pk})
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    stranger.post(DEVICES, {"action": "disconnect_all"})
    assert CloudDevice.objects.filter(customer__user_id="hong", revoked_at=None).count() == 2


@pytest.mark.parametrize("device", ["", "abc", "²", "9" * 30, "999999"])
def test_disconnecting_a_device_that_is_not_there(browser, customer, device):
    browser.connect(customer, remember=True)
    assert browser.post(DEVICES, {"action": "disconnect", "device": device}).status_code == 404
    assert CloudDevice.objects.get().revoked_at is None


def test_an_already_revoked_device_cannot_be_disconnected_again(two_browsers):
    phone, pc = two_browsers
    phone_device = CloudDevice.objects.get(label="Chrome · Android")
    pc.post(DEVICES, {"action": "disconnect", "device": phone_device.pk})
    assert pc.post(DEVICES, {"action": "disconnect",
                             "device": phone_device.pk}).status_code == 404


def test_the_device_list_changes_nothing_by_get(two_browsers):
    phone, pc = two_browsers
    device = CloudDevice.objects.first()
    pc.get(DEVICES + f"?action=disconnect&device={device.pk}")
    pc.get(DEVICES + "?action=disconnect_all")
    assert not CloudDevice.objects.exclude(revoked_at=None).exists()


def test_an_unknown_action_changes_nothing(two_browsers):
    phone, pc = two_browsers
    assert pc.post(DEVICES, {"action": "drop"})["Location"] == DEVICES
    assert not CloudDevice.objects.exclude(revoked_at=None).exists()


def test_revoked_and_expired_devices_are_not_listed(two_browsers, settings):
    phone, pc = two_browsers
    CloudDevice.objects.filter(label="Chrome · Android").update(revoked_at=now())
    assert [d.label for d in pc.get(DEVICES).context["devices"]] == ["Edge · Windows"]


def test_a_browser_connected_by_code_only_is_said_to_be_so(browser, customer):
    browser.connect(customer)
    page = browser.get(DEVICES)
    assert page.context["current_device"] is None
    assert "이번 방문 동안만" in page.content.decode()


# --- labels -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("user_agent", "label"), [
    (CHROME_ANDROID, "Chrome · Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/17.5 Mobile/15E148 Safari/604.1", "Safari · iOS"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "Version/17.5 Safari/605.1.15", "Safari · macOS"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox · Linux"),
    ("Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36", "Samsung Internet · Android"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/126.0.0.0 Whale/3.27.254.15 Safari/537.36", "Whale · Windows"),
    ("curl/8.5.0", ""),
    ("", ""),
])
def test_device_labels(user_agent, label):
    assert device_label(user_agent) == label


def test_the_pages_are_under_the_strict_policy_and_not_cached(browser, customer):
    from tests.certificates.test_security_headers import assert_strict_headers

    browser.request_code(customer)
    connect_page = browser.get(connect_url())
    browser.enter(last_code(), remember=True)
    for page in (connect_page, browser.get(DEVICES), browser.get(connect_url())):
        assert page.status_code == 200
        assert_strict_headers(page)
        assert "no-store" in page["Cache-Control"]
