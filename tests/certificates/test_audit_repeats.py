"""The audit trail under attack: an existing ID costs what an unknown one does, and a refusal that
a client repeats without end is written once per window, with its count."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.throttle import Tally
from certificates.audit import repeated_failure_record
from certificates.models import CertificateEvent
from verification import services as verification

pytestmark = pytest.mark.django_db

START = datetime(2025, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Seoul"))
WRONG_RRN = "900101-1234567"
RIGHT_RRN = "900101-1234568"
# What staff read on the trail.
IDENTIFY_MISMATCH = "본인 확인 실패: 아이디·주민등록번호 불일치"
IDENTIFY_UNKNOWN_ID = "본인 확인 실패: 등록되지 않은 아이디"
IDENTIFY_REFUSED_ID = "본인 확인 제한: 아이디별 실패 횟수 초과"
IDENTIFY_REFUSED_IP = "본인 확인 제한: IP별 실패 횟수 초과"


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(START, tick=False)
    return time_machine


def later(clock, seconds):
    clock.move_to(START + timedelta(seconds=seconds), tick=False)


def rows(**filters):
    return list(CertificateEvent.objects.filter(kind="verification_failed", **filters)
                .order_by("created_at", "id"))


# --- An existing ID and an unknown one do the same work ------------------------------------------

def query_shapes(queries) -> list[str]:
    """The statements run, with every value taken out: what would take different time."""
    shapes = []
    for query in queries:
        sql = re.sub(r"'(?:[^']|'')*'", "?", query["sql"])
        sql = re.sub(r'"s\d+_x\d+"', "savepoint", sql)
        sql = re.sub(r"\b\d+(?:\.\d+)?\b", "?", sql)
        # A customer's key or none: the same statement (NULL only skips the foreign-key probe).
        sql = sql.replace("NULL", "?")
        shapes.append(re.sub(r"\?(?:\s*,\s*\?)+", "?", sql))
    return shapes


def identify_queries(wizard, user_id):
    with CaptureQueriesContext(connection) as captured:
        response = wizard.identify(user_id=user_id, rrn=WRONG_RRN)
    assert response.status_code == 200
    return query_shapes(captured.captured_queries)


def assert_same_work(wizard, known="hong", unknown="nobody"):
    # Each ID once first, so that both find their counters (and tallies) in place.
    identify_queries(wizard, known)
    identify_queries(wizard, unknown)
    assert identify_queries(wizard, known) == identify_queries(wizard, unknown)


def test_a_failure_with_an_existing_id_runs_the_same_queries_as_an_unknown_id(
    wizard, customer, settings
):
    settings.LOOKUP_MAX_FAILURES = 10
    wizard.terms()
    assert_same_work(wizard)


def test_a_refusal_from_a_throttled_ip_runs_the_same_queries_for_both(wizard, customer):
    wizard.terms()
    for n in range(5):
        wizard.identify(user_id=f"guess{n}", rrn=WRONG_RRN)
    assert_same_work(wizard)


def test_a_refusal_of_a_throttled_id_runs_the_same_queries_for_both(wizard_factory, customer):
    for user_id in ("hong", "nobody"):
        for n in range(5):
            other = wizard_factory(client=Client(REMOTE_ADDR=f"203.0.113.{n}"))
            other.terms()
            other.identify(user_id=user_id, rrn=WRONG_RRN)
    wizard = wizard_factory(client=Client(REMOTE_ADDR="198.51.100.1"))
    wizard.terms()
    assert_same_work(wizard)


def test_a_failure_with_an_unknown_id_is_recorded_on_no_ones_trail(wizard, customer):
    wizard.terms()
    wizard.identify(user_id="nobody", rrn=RIGHT_RRN)
    [event] = rows()
    assert (event.customer, event.client_ip, event.actor) == (None, "127.0.0.1", "customer")
    assert event.reason == IDENTIFY_UNKNOWN_ID
    assert "nobody" not in event.reason  # the typed ID is not kept
    wizard.identify(rrn=WRONG_RRN)
    assert [e.reason for e in rows(customer=customer)] == [IDENTIFY_MISMATCH]


# --- Repeats within a window: one row, the count with the next window's first -------------------

def test_a_tally_window_lasts_exactly_its_length(clock):
    tally = Tally("test", window_seconds=600)
    assert tally.add("k").first
    later(clock, 300)
    assert not tally.add("k").first
    later(clock, 600)
    assert not tally.add("k").first
    later(clock, 600.001)
    repeat = tally.add("k")
    assert repeat.first and repeat.earlier == 3 and repeat.earlier_start == START
    # A window that held one only (already written down) has nothing more to report.
    later(clock, 1300)
    repeat = tally.add("k")
    assert repeat.first and repeat.earlier == 0
    assert Tally("test", window_seconds=600).add("other").first  # keys do not share windows


def test_repeated_failure_record_writes_the_earlier_count_with_the_next_window(clock, customer):
    record = dict(key="k", reason="SMS 인증 실패: 입력 횟수 초과", window_seconds=600,
                  customer_id=customer.pk, client_ip="192.0.2.1")
    first = repeated_failure_record(**record)
    assert first.reason == "SMS 인증 실패: 입력 횟수 초과" and first.customer == customer
    assert all(repeated_failure_record(**record) is None for _ in range(34))
    later(clock, 601)
    summary = repeated_failure_record(**{**record, "client_ip": "192.0.2.2"})
    assert summary.reason == "SMS 인증 실패: 입력 횟수 초과 (직전 2025-06-01 10:00부터 10분간 35회)"
    assert summary.client_ip == "192.0.2.2" and summary.created_at == START + timedelta(seconds=601)
    assert len(rows()) == 2


def test_throttled_identifications_of_a_known_id_write_one_row_per_window(
    wizard, customer, clock
):
    wizard.terms()
    for _ in range(5):
        wizard.identify(rrn=WRONG_RRN)
    for _ in range(100):
        response = wizard.identify()  # the right details, refused while throttled
        assert [e.code for e in response.context["form"].non_field_errors().as_data()] == [
            "throttled"]
    trail = rows(customer=customer)
    assert [e.reason for e in trail] == [IDENTIFY_MISMATCH] * 5 + [IDENTIFY_REFUSED_ID]

    # The next window: five more failures, and the first refusal carries the count of the last.
    later(clock, 601)
    assert wizard.get("identify")["Location"] == reverse("certificates:timeout")  # flow idle
    wizard.terms()
    for _ in range(5):
        wizard.identify(rrn=WRONG_RRN)
    wizard.identify()
    refusals = [e.reason for e in rows(customer=customer) if e.reason.startswith("본인 확인 제한")]
    assert refusals == [IDENTIFY_REFUSED_ID,
                        f"{IDENTIFY_REFUSED_ID} (직전 2025-06-01 10:00부터 10분간 100회)"]


def test_a_throttled_ip_trying_a_new_id_each_time_writes_one_row(wizard, customer, clock):
    wizard.terms()
    for n in range(5):
        wizard.identify(user_id=f"guess{n}", rrn=WRONG_RRN)
    for n in range(40):
        wizard.identify(user_id="hong" if n % 2 else f"other{n}")
    refusals = rows(reason=IDENTIFY_REFUSED_IP)
    assert len(refusals) == 1
    # Counted per IP, so on no customer's trail (whether or not the ID it named exists).
    assert refusals[0].customer is None and refusals[0].client_ip == "127.0.0.1"
    assert len(rows()) == 6


def test_sms_entries_after_the_code_is_used_up_write_one_row_per_window(
    wizard, customer, clock, settings
):
    settings.SMS_SEND_WINDOW = 120  # shorter than the wizard's idle timeout, to see a second one
    wizard.until("sms")
    wizard.send_code()
    wrong = f"{(int(wizard.last_code()) + 1) % 1_000_000:06d}"
    for _ in range(settings.SMS_MAX_ATTEMPTS):
        wizard.verify_code(wrong)
    for _ in range(35):
        response = wizard.verify_code(wrong)
        assert response.context["code_form"].has_error("code", "exhausted")
    reasons = [e.reason for e in rows(customer=customer)]
    assert reasons == ["SMS 인증 실패: 번호 불일치"] * 4 + ["SMS 인증 실패: 입력 횟수 초과"]

    later(clock, 121)
    wizard.verify_code(wrong)
    assert rows(customer=customer)[-1].reason == (
        "SMS 인증 실패: 입력 횟수 초과 (직전 2025-06-01 10:00부터 2분간 36회)")
    assert len(rows(customer=customer)) == 6


def test_key_ins_on_a_used_up_call_without_a_session_write_one_row_per_window(
    customer, clock, settings, django_capture_on_commit_callbacks
):
    settings.ARS_BACKEND = "verification.backends.simulated.SimulatedBackend"
    with django_capture_on_commit_callbacks(execute=True):
        call = verification.ars_call_start(phone=customer.phone, purpose="issuance.ars",
                                           customer=customer)
    url = reverse("verification:handset_key_in",
                  kwargs={"phone": customer.phone, "challenge_id": call.pk})
    wrong = "11" if verification.ars_display_code(call) != "11" else "12"
    stranger = Client(REMOTE_ADDR="198.51.100.9")  # no session, no wizard: only the keypad
    for _ in range(settings.ARS_MAX_ATTEMPTS + 40):
        assert stranger.post(url, {"digits": wrong}).status_code == 302
    reasons = [e.reason for e in rows(customer=customer)]
    assert reasons == ["ARS 인증 실패: 번호 불일치"] * 2 + ["ARS 인증 실패: 입력 횟수 초과"]

    later(clock, settings.SMS_SEND_WINDOW + 1)
    stranger.post(url, {"digits": wrong})
    assert rows(customer=customer)[-1].reason == (
        "ARS 인증 실패: 입력 횟수 초과 (직전 2025-06-01 10:00부터 10분간 41회)")
    assert rows(customer=customer)[-1].client_ip == "198.51.100.9"


def test_sms_step_identity_mismatches_write_one_row_per_window(wizard, customer, clock, settings):
    settings.LOOKUP_FAILURE_WINDOW = 120  # shorter than the wizard's idle timeout
    settings.LOOKUP_MAX_FAILURES = 1000  # the mismatches themselves, not the throttle after them
    wizard.until("sms")
    for _ in range(60):
        response = wizard.send_code(name="김철수")
        assert response.context["identity_form"].has_error("__all__", "mismatch")
    assert [e.reason for e in rows(customer=customer)] == ["추가 본인 확인 정보 불일치"]

    later(clock, 121)
    wizard.send_code(birth_date="19900102")
    assert [e.reason for e in rows(customer=customer)] == [
        "추가 본인 확인 정보 불일치",
        "추가 본인 확인 정보 불일치 (직전 2025-06-01 10:00부터 2분간 60회)",
    ]


def test_throttled_sms_step_identity_checks_write_one_row_per_window(wizard, customer, clock,
                                                                     settings):
    wizard.until("sms")
    for _ in range(settings.LOOKUP_MAX_FAILURES):
        wizard.send_code(name="김철수")
    for _ in range(30):
        response = wizard.send_code()  # even the right details, while throttled
        assert response.context["identity_form"].has_error("__all__", "throttled")
    refused = [e.reason for e in rows(customer=customer) if "제한" in e.reason]
    assert refused == ["추가 본인 확인 제한: 실패 횟수 초과"]


# --- Concurrency (PostgreSQL applies row locks for real; SQLite serializes whole writes) ----------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_open_exactly_one_window():
    from tests.accounts.test_lookup import run_at_once

    tally = Tally("race", window_seconds=600)
    results = run_at_once(12, lambda i: tally.add("same-key").first)
    assert results.count(True) == 1, results
    assert results.count(False) == 11, results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_correct_identifications_leave_no_false_failure(customer_factory, rf):
    """12 customers behind one address identify at once: none is refused, none is written up."""
    from certificates.wizard.forms import IdentifyForm
    from tests.accounts.test_lookup import run_at_once

    people = [customer_factory() for _ in range(12)]

    def identify(i):
        number = people[i].resident_number
        form = IdentifyForm(rf.post("/", REMOTE_ADDR="198.51.100.70"), {
            "user_id": people[i].user_id, "rrn_front": number[:6], "rrn_back": number[6:]})
        return form.get_customer() if form.is_valid() else form.errors

    assert run_at_once(12, identify) == people
    assert not CertificateEvent.objects.exists()
