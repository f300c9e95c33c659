"""Structured log lines (certcenter/logs.py): one per issuance, reissue, revocation, suspension,
resumption, renewal run and failed verification, as JSON or text, and never personal data."""

import json
import logging
import re
from datetime import timedelta

import pytest
from django.core.management import call_command

from certcenter.envfile import generate_secrets
from certcenter.logs import EVENT_LOGGER, JSONFormatter, TextFormatter, event_log
from certificates import lifecycle
from certificates.models import Certificate, CertificateEvent
from certificates.renewal import certificates_renew
from tests.conftest import PIN
from tests.test_settings import start_django
from verification.backends import locmem

pytestmark = pytest.mark.django_db
Actor = CertificateEvent.Actor
FORMAT = "%(levelname)s %(name)s %(message)s"


@pytest.fixture(autouse=True)
def fast_sealing(settings):
    settings.PIN_SCRYPT_N = 2**10


@pytest.fixture
def events(caplog):
    """The event lines logged so far: a list of (event name, fields)."""
    caplog.set_level(logging.DEBUG)

    def read():
        return [(record.getMessage(), _fields(record)) for record in caplog.records
                if record.name == EVENT_LOGGER]

    return read


def _fields(record) -> dict:
    return json.loads(JSONFormatter(FORMAT).format(record))


def names(lines):
    return [name for name, _fields in lines]


# -- one line per event -----------------------------------------------------------------------------

def test_an_issuance_is_one_line(events, committed, certificate_factory, customer):
    with committed():
        certificate = certificate_factory()
    assert names(events()) == ["certificate.issued"]
    fields = events()[0][1]
    assert fields["certificate_id"] == certificate.pk
    assert fields["serial"] == certificate.serial
    assert fields["customer_id"] == customer.pk
    assert fields["actor"] == "customer"
    assert fields["levelname"] == "INFO"


def test_nothing_is_logged_for_a_transaction_that_rolls_back(events, django_capture_on_commit_callbacks,
                                                             certificate_factory):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        certificate_factory()
    assert callbacks  # queued for the commit ...
    assert events() == []  # ... and not written before it


def test_a_reissue_logs_the_reissue_and_the_old_certificates_revocation(
        events, committed, certificate_factory):
    with committed():
        old = certificate_factory()
        new = certificate_factory(reissue_reason="lost", pin="246802")
    lines = events()
    assert sorted(names(lines)) == ["certificate.issued", "certificate.reissued", "certificate.revoked"]
    reissued = dict(lines)["certificate.reissued"]
    revoked = dict(lines)["certificate.revoked"]
    assert reissued["serial"] == new.serial
    assert revoked["serial"] == old.serial


def test_a_staff_revocation_is_one_line_with_the_reason_code_and_not_the_note(
        events, committed, certificate, admin_user):
    with committed():
        lifecycle.certificate_revoke(
            certificate=certificate, reason=Certificate.RevocationReason.KEY_COMPROMISE,
            actor=Actor.STAFF, staff_user=admin_user, note="홍길동 고객 010-1234-5678 요청",
            client_ip="203.0.113.9")
    lines = [line for line in events() if line[0] == "certificate.revoked"]
    assert len(lines) == 1
    fields = lines[0][1]
    assert fields["revocation_reason"] == Certificate.RevocationReason.KEY_COMPROMISE
    assert fields["actor"] == "staff"
    assert fields["staff_user_id"] == admin_user.pk
    text = json.dumps(fields, ensure_ascii=False)
    assert "홍길동" not in text and "010-1234" not in text and "203.0.113.9" not in text


def test_suspension_and_resumption_are_a_line_each(events, committed, certificate):
    with committed():
        lifecycle.certificate_suspend(certificate=certificate, actor=Actor.CUSTOMER)
        lifecycle.certificate_resume(certificate=certificate, actor=Actor.CUSTOMER)
    lines = [line for line in events() if line[0] != "certificate.issued"]
    assert names(lines) == ["certificate.suspended", "certificate.resumed"]
    assert lines[0][1]["revocation_reason"] == Certificate.RevocationReason.CERTIFICATE_HOLD
    assert "revocation_reason" not in lines[1][1]


def test_a_renewal_run_is_one_line_with_its_counts(events, committed, certificate_factory,
                                                   customer_factory):
    due = [certificate_factory(customer=customer_factory()) for _ in range(3)]
    before = len(events())
    with committed():
        certificates_renew(now=min(c.not_after for c in due) - timedelta(days=29), batch_size=2)
    lines = events()[before:]
    assert names(lines) == ["renewal.run"]  # not a line per certificate renewed
    fields = lines[0][1]
    assert (fields["renewed"], fields["failed"], fields["expired"], fields["skipped"]) == (3, 0, 0, 0)
    assert fields["outcome"] == "ok"
    assert fields["dry_run"] is False
    assert fields["batch_size"] == 2


def test_the_renewal_command_logs_its_run_once(events, committed):
    with committed():
        call_command("renew_certificates", "--dry-run", stdout=open("/dev/null", "w"))  # noqa: SIM115
    lines = events()
    assert names(lines) == ["renewal.run"]
    assert lines[0][1]["dry_run"] is True


def test_a_wrong_sms_code_is_one_line(events, wizard):
    wizard.until("sms")
    wizard.send_code()
    before = len(events())
    wizard.verify_code("000000" if wizard.last_code() != "000000" else "111111")
    lines = events()[before:]
    assert names(lines) == ["certificate.verification_failed"]
    assert lines[0][1]["outcome"] == "sms_wrong"
    assert lines[0][1]["customer_id"] == wizard.customer.pk


def test_a_failed_identification_is_one_line(events, wizard):
    wizard.terms()
    wizard.identify(rrn="900101-1234567")
    lines = events()
    assert names(lines) == ["certificate.verification_failed"]
    assert lines[0][1]["outcome"] == "identify_mismatch"


def test_a_wrong_pin_is_one_line(events, committed, certificate):
    from certificates.services import PinRefused, certificate_unlock_key

    before = len(events())
    with committed(), pytest.raises(PinRefused):
        certificate_unlock_key(certificate=certificate, pin="000000")
    lines = events()[before:]
    assert names(lines) == ["certificate.pin_failed"]
    assert lines[0][1]["outcome"] == "pin_wrong_1_of_5"


def test_a_cloud_connection_with_details_of_no_one_is_one_line(events, committed, customer):
    from datetime import date

    from certificates.cloud.services import cloud_code_request

    with committed():
        cloud_code_request(name="임꺽정", birth_date=date(1990, 1, 1), phone="+821099998888",
                           flow_id="f", client_ip="198.51.100.7")
    lines = events()
    assert names(lines) == ["certificate.verification_failed"]
    assert lines[0][1]["outcome"] == "cloud_mismatch"
    assert "customer_id" not in lines[0][1]


# -- the two formats --------------------------------------------------------------------------------

def _record(event, **fields):
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger(EVENT_LOGGER)
    keep = Keep()
    logger.addHandler(keep)
    try:
        event_log(event, **fields)
    finally:
        logger.removeHandler(keep)
    return records[0]


def test_json_format_is_one_object_per_line():
    record = _record("certificate.revoked", certificate_id=7, serial="1f", staff_user_id=None)
    line = JSONFormatter(FORMAT, timestamp=True).format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "certificate.revoked"
    assert data["certificate_id"] == 7 and data["serial"] == "1f"
    assert "staff_user_id" not in data  # None fields are left out
    assert "timestamp" in data


def test_text_format_appends_the_fields():
    record = _record("renewal.run", renewed=3, failed=0)
    assert TextFormatter(FORMAT).format(record) == (
        "INFO certcenter.events renewal.run renewed=3 failed=0")


def test_the_text_format_leaves_other_loggers_as_they_were():
    record = logging.makeLogRecord({"name": "django.request", "msg": "Not Found: /x",
                                    "levelname": "WARNING", "status_code": 404})
    assert TextFormatter(FORMAT).format(record) == "WARNING django.request Not Found: /x"


def test_json_leaves_out_djangos_request_object():
    record = logging.makeLogRecord({"name": "django.request", "msg": "Not Found: /x?rrn=1",
                                    "request": object(), "status_code": 404})
    data = json.loads(JSONFormatter(FORMAT).format(record))
    assert "request" not in data and data["status_code"] == 404


# -- no personal data -------------------------------------------------------------------------------

def test_a_whole_story_logs_no_personal_data(caplog, wizard, committed, admin_user, customer):
    """Issue with the wizard (a wrong SMS code on the way), a wrong PIN, a failed identification,
    then staff revoke: every captured line, in both formats, is scanned for 홍길동's data."""
    from certificates.services import PinRefused, certificate_unlock_key

    caplog.set_level(logging.DEBUG)
    wizard.until("sms")
    wizard.send_code()
    wizard.verify_code("000000" if wizard.last_code() != "000000" else "111111")
    assert wizard.verify_code().status_code == 302
    assert wizard.pin().status_code == 302
    certificate = Certificate.objects.get(customer=customer, status=Certificate.Status.ACTIVE)
    with committed(), pytest.raises(PinRefused):
        certificate_unlock_key(certificate=certificate, pin="000000")
    with committed():
        lifecycle.certificate_revoke(
            certificate=certificate, reason=Certificate.RevocationReason.KEY_COMPROMISE,
            actor=Actor.STAFF, staff_user=admin_user, note=f"{customer.name} 본인 요청")
    wizard.client.cookies.clear()
    wizard.terms_pass_url = None
    wizard.terms()
    wizard.identify(rrn="900101-1234567")

    codes = set(re.findall(r"\b\d{6}\b", " ".join(d.body for d in locmem.outbox)))
    assert codes  # the SMS codes sent (and the ARS digits) are among what must not appear
    secrets = {customer.name, "900101-1234568", "9001011234568", "1234568", "900101-1234567",
               "010-1234-5678", "01012345678", "+821012345678", "1012345678", PIN,
               "hong@example.com", *codes}
    kinds = {record.getMessage() for record in caplog.records if record.name == EVENT_LOGGER}
    assert {"certificate.issued", "certificate.verification_failed", "certificate.pin_failed",
            "certificate.revoked"} <= kinds
    text, as_json = TextFormatter(FORMAT), JSONFormatter(FORMAT)
    output = "\n".join(f"{text.format(r)}\n{as_json.format(r)}" for r in caplog.records)
    found = sorted(secret for secret in secrets if secret in output)
    assert found == [], f"personal data in the logs: {found}\n{output}"


# -- LOG_FORMAT -------------------------------------------------------------------------------------

PRINT_EVENT = ("import django; django.setup(); from certcenter.logs import event_log; "
               "event_log('certificate.issued', certificate_id=1, serial='ab')")


def test_log_format_json_writes_json_lines_to_stderr():
    result = start_django({**generate_secrets(), "ENV_FILE": "/nonexistent", "LOG_FORMAT": "json"},
                          code=PRINT_EVENT)
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert (line["message"], line["certificate_id"], line["serial"]) == ("certificate.issued", 1, "ab")


def test_log_format_text_is_the_default():
    result = start_django({**generate_secrets(), "ENV_FILE": "/nonexistent"}, drop=("LOG_FORMAT",),
                          code=PRINT_EVENT)
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip().splitlines()[-1].endswith(
        "INFO certcenter.events certificate.issued certificate_id=1 serial=ab")


def test_an_unknown_log_format_stops_start_up():
    result = start_django({**generate_secrets(), "ENV_FILE": "/nonexistent", "LOG_FORMAT": "xml"})
    assert result.returncode != 0
    assert "LOG_FORMAT must be 'text' or 'json'" in result.stderr
