"""Training scenarios (`seed_demo --scenarios`, the page's button) and `reset_simulator`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.demo import DEMO_CUSTOMERS
from accounts.models import Customer
from accounts.services import CustomerNotFound, customer_lookup
from certcenter import clock
from certcenter.models import SimulatorClock
from certificates.ca import load_issuing_ca
from certificates.models import Certificate, CertificateEvent, RevocationList
from certificates.renewal import certificates_renew
from certificates.services import KeyLocked, certificate_unlock_key
from simulator.models import SimulatorAction
from simulator.scenarios import SCENARIO_PIN, SCENARIOS
from verification import faults, services
from verification.models import Challenge, ChannelFault, FraudReport, HandsetMessage
from verification.selectors import customer_fraud_block

pytestmark = pytest.mark.django_db

PAGE = "/admin/simulator/simulatoraction/"


@pytest.fixture(autouse=True)
def fast(settings, controls, simulated_phone):
    settings.PIN_SCRYPT_N = 2**10
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def current(user_id: str) -> Certificate:
    return Certificate.objects.current().get(customer__user_id=user_id)


@pytest.fixture
def scenarios(published_crl):
    seed("--scenarios")
    return {s.key: s for s in SCENARIOS}


def test_every_scenario_has_a_customer_in_its_state(scenarios):
    expiring = current("scn_expiring")
    days_left = (expiring.not_after - clock.now()) / timedelta(days=1)
    assert 9.9 < days_left <= 10
    assert expiring.pk in Certificate.objects.expiring(now=clock.now(), within_days=30).values_list(
        "pk", flat=True)

    locked = current("scn_locked")
    assert locked.status == Certificate.Status.LOCKED
    assert CertificateEvent.objects.filter(certificate=locked, kind="pin_failed").count() == 5
    with pytest.raises(KeyLocked):
        certificate_unlock_key(certificate=locked, pin=SCENARIO_PIN)

    assert current("scn_suspended").status == Certificate.Status.SUSPENDED

    moved = Customer.objects.get(user_id="scn_phone")
    assert moved.phone == "+821070011004" != current("scn_phone").issued_phone

    renamed = Customer.objects.get(user_id="scn_name")
    assert (renamed.name, current("scn_name").issued_name) == ("서개명", "서이름")

    with pytest.raises(CustomerNotFound):
        customer_lookup(user_id="scn_notenrolled", resident_number="830303-2234566",
                        client_ip="127.0.0.1")
    assert not Certificate.objects.filter(customer__user_id="scn_notenrolled").exists()


def test_the_scenario_certificates_are_genuine_issuances(scenarios):
    for user_id in ("scn_expiring", "scn_suspended", "scn_phone", "scn_name"):
        certificate = current(user_id)
        assert CertificateEvent.objects.filter(certificate=certificate, kind="issued").exists()
        # Signed by the CA, over the sealed key the PIN opens (once the hold or lock is off).
    assert certificate_unlock_key(certificate=current("scn_expiring"), pin=SCENARIO_PIN)
    issued = CertificateEvent.objects.get(certificate=current("scn_expiring"), kind="issued")
    assert issued.created_at.date() <= (timezone.now() - timedelta(days=354)).date()


def test_renewal_renews_the_expiring_one_and_skips_the_changed_ones(scenarios):
    report = certificates_renew()
    assert report.summary() == (
        "renewed: 1; skipped (reissue required): 2 (이름 변경 1, 휴대폰 번호 변경 1); "
        "expired: 0; failed: 0")
    assert current("scn_phone").status == Certificate.Status.REISSUE_REQUIRED


def test_idempotent(scenarios):
    before = (Customer.objects.count(), Certificate.objects.count())
    out = seed("--scenarios")
    assert "scn_expiring" in out and "이미 있음" in out
    assert (Customer.objects.count(), Certificate.objects.count()) == before


def test_the_fraud_scenario_is_blocked_from_identification_until_staff_clear_it(scenarios):
    customer = Customer.objects.get(user_id="scn_fraud")
    report = FraudReport.objects.get(customer=customer)
    assert report.status == FraudReport.Status.OPEN
    assert report.source == FraudReport.Source.CALL
    assert customer_fraud_block(customer) is not None
    # The reported call is over, and its certificate is untouched (the report blocks new ones).
    assert report.challenge.status == Challenge.Status.REPORTED
    assert current("scn_fraud").status == Certificate.Status.ACTIVE


def test_scenarios_need_the_controls(settings):
    settings.SIMULATOR_CONTROLS_ENABLED = False
    with pytest.raises(CommandError, match="SIMULATOR_CONTROLS_ENABLED"):
        seed("--scenarios")
    assert set(Customer.objects.values_list("user_id", flat=True)) == {d.user_id for d in DEMO_CUSTOMERS}


def test_plain_seed_demo_still_loads_only_the_demo_customers():
    assert "Demo customers: 6 created" in seed()
    assert Customer.objects.count() == len(DEMO_CUSTOMERS)


def test_the_page_s_button_creates_them(controller_client, published_crl):
    response = controller_client.post(PAGE + "scenarios/", follow=True)
    assert "교육 시나리오를 만들었습니다." in response.content.decode()
    assert Customer.objects.filter(user_id__startswith="scn_").count() == 7
    assert SimulatorAction.objects.get(kind="scenarios").staff_user.username == "trainer"
    assert "있음" in controller_client.get(PAGE).content.decode()


# --- reset_simulator -----------------------------------------------------------------------------


def test_reset_returns_the_demo_to_its_starting_state_and_keeps_the_ca(
        scenarios, django_capture_on_commit_callbacks):
    from certcenter.services import clock_offset_set

    ca_before = load_issuing_ca().cert
    seed()
    demo1 = Customer.objects.get(user_id="demo1")
    demo1.name = "바뀐이름"
    demo1.save()
    faults.fault_set(kind="sms_lost")
    with django_capture_on_commit_callbacks(execute=True):
        services.sms_send(phone=demo1.phone, purpose="demo")
        clock_offset_set(offset=timedelta(days=100))
    out = StringIO()
    call_command("reset_simulator", "--no-input", stdout=out)
    assert "Simulator reset" in out.getvalue()
    assert sorted(Customer.objects.values_list("user_id", flat=True)) == sorted(
        d.user_id for d in DEMO_CUSTOMERS)
    assert Customer.objects.get(user_id="demo1").name == "홍길동"
    for model in (Certificate, CertificateEvent, Challenge, HandsetMessage, ChannelFault,
                  SimulatorClock):
        assert not model.objects.exists(), model
    assert clock.offset() == timedelta(0)
    assert load_issuing_ca().cert == ca_before
    crl = RevocationList.objects.get()  # a fresh, empty CRL under real time
    assert crl.entry_count == 0 and crl.this_update <= timezone.now()
    assert SimulatorAction.objects.filter(kind="reset").exists()


def test_reset_asks_first_and_needs_the_controls(settings, monkeypatch):
    seed()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="cancelled"):
        call_command("reset_simulator")
    settings.SIMULATOR_CONTROLS_ENABLED = False
    with pytest.raises(CommandError, match="SIMULATOR_CONTROLS_ENABLED"):
        call_command("reset_simulator", "--no-input")
    assert Customer.objects.count() == len(DEMO_CUSTOMERS)
