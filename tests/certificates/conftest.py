"""Walking the issuance wizard with the test client, step by step, as a customer would."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse

from certificates.wizard.steps import STEPS
from tests.conftest import PIN
from verification import services as verification
from verification.backends import locmem


@pytest.fixture(autouse=True)
def outbox(outbox):
    """Every test here delivers SMS and ARS into the locmem outbox (tests/conftest.py)."""
    return outbox


class Wizard:
    """Drives one browser session (a Django test client) through the wizard."""

    def __init__(self, client, capture, customer, rrn="900101-1234568"):
        self.client = client
        self.capture = capture
        self.customer = customer
        self.rrn = rrn

    terms_pass_url = None  # where the terms page sent us: identification carries the agreement

    def url(self, step):
        if step == "identify" and self.terms_pass_url:
            return self.terms_pass_url
        return reverse(f"certificates:{step}")

    def get(self, step):
        return self.client.get(self.url(step))

    def post(self, step, data):
        with self.capture(execute=True):
            return self.client.post(self.url(step), data)

    def terms(self, **data):
        response = self.post("terms", data or {"agree_all": "on"})
        if response.status_code == 302:
            self.terms_pass_url = response["Location"]
        return response

    def identify(self, user_id=None, rrn=None):
        front, back = (rrn or self.rrn).split("-")
        return self.post(
            "identify",
            {"user_id": user_id or self.customer.user_id, "rrn_front": front, "rrn_back": back},
        )

    def reissue(self, reason="lost"):
        return self.post("reissue", {"reason": reason})

    def ars(self):
        self.post("ars", {"action": "call"})
        page = self.get("ars")
        verification.ars_key_in(
            challenge_id=page.context["challenge"].pk, digits=page.context["display_code"]
        )
        return self.post("ars", {"action": "check"})

    def extra(self):
        return self.post("extra", {"method": "bank_certificate", "confirm_contact": "on"})

    def identity(self, **overrides):
        data = {
            "name": self.customer.name,
            "birth_date": self.customer.birth_date.strftime("%Y%m%d"),
            "phone": self.customer.phone_display,
        }
        data.update(overrides)
        return data

    def send_code(self, **overrides):
        return self.post("sms", {"action": "send", **self.identity(**overrides)})

    def last_code(self):
        sms = [d for d in locmem.outbox if d.kind == "sms"]
        return re.search(r"\[(\d{6})\]", sms[-1].body).group(1)

    def verify_code(self, code=None):
        return self.post("sms", {"action": "verify", **self.identity(),
                                 "code": code or self.last_code()})

    def sms(self):
        self.send_code()
        return self.verify_code()

    def pin(self, pin=PIN, confirm=None):
        return self.post("pin", {"pin": pin, "pin_confirm": confirm or pin})

    def until(self, step, reason="lost"):
        """Complete every step before ``step``."""
        order = [each.name for each in STEPS]
        for name in order[: order.index(step)]:
            if name == "reissue":
                if self.client.session.get("certcenter.flow", {}).get("kind") != "reissue":
                    continue
                response = self.reissue(reason)
            else:
                response = getattr(self, name)()
            assert response.status_code == 302, (name, response.content.decode()[:2000])
        return response

    def issue(self, reason="lost", pin=PIN):
        self.until("pin", reason=reason)
        return self.pin(pin)


@pytest.fixture
def wizard_factory(client, django_capture_on_commit_callbacks, customer):
    def make(customer=customer, client=client, rrn="900101-1234568"):
        return Wizard(client, django_capture_on_commit_callbacks, customer, rrn=rrn)

    return make


@pytest.fixture
def wizard(wizard_factory):
    return wizard_factory()


@pytest.fixture
def pin_pause(time_machine):
    """Stop the clock; ``pin_pause()`` then waits out the pause a wrong PIN earns before the next
    check (certificates.services.pin_retry_delay) by moving the clock, without sleeping."""
    from django.conf import settings
    from django.utils import timezone

    from certificates.services import pin_retry_delay

    time_machine.move_to(timezone.now(), tick=False)

    def wait_out():
        time_machine.shift(pin_retry_delay(settings.PIN_MAX_FAILURES))

    return wait_out


def cloud_connect(client, customer):
    """This test client's browser connected to ``customer``'s cloud certificates, as a finished
    클라우드 연결 leaves it (tests/certificates/test_cloud.py walks the real connection)."""
    from django.utils import timezone

    from certificates.cloud.session import CLOUD_SESSION_KEY

    session = client.session
    session[CLOUD_SESSION_KEY] = {"customer": customer.pk, "at": timezone.now().timestamp(),
                                  "device": None}
    session.save()
    return client


@pytest.fixture
def issue_many(certificate_factory, customer_factory):
    """``issue_many(count)``: one certificate for each of ``count`` new customers."""

    def make(count):
        return [certificate_factory(customer=customer_factory()) for _ in range(count)]

    return make


def due_moment(certificates):
    """A moment at which every one of ``certificates`` is due for renewal (issued within the same
    minute): 29 days before the first of them expires."""
    return min(c.not_after for c in certificates) - timedelta(days=29)


class Crash(BaseException):
    """A crash mid-batch (a kill, a lost connection): not an ``Exception`` anything may swallow."""


def fail_on_call(monkeypatch, number, exception):
    """Make the signing of a renewed certificate raise on its ``number``-th call."""
    from certificates import pki

    real = pki.EndEntityProfile.sign
    calls = []

    def flaky(builder, **kwargs):
        calls.append(1)
        if len(calls) == number:
            raise exception
        return real(builder, **kwargs)

    monkeypatch.setattr(pki.EndEntityProfile, "sign", staticmethod(flaky))
    return calls


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs what waits for the commit (the new CRL, a notice, the event
    lines) as it would in production."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
