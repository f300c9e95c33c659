"""CSV export of the certificate list: the list's rows masked as the list masks them, its filters
kept, streamed, Excel-friendly, safe from formula injection, on record, for officers only."""

import csv
import html
import io
from datetime import timedelta

import pytest
from django.contrib import admin
from django.core.signals import request_finished
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone

from accounts.masking import mask_name
from certificates.admin import CertificateAdmin
from certificates.display import format_serial, mask_subject
from certificates.exports import BOM, csv_cell, csv_stream, masked_search_term
from certificates.lifecycle import certificate_revoke
from certificates.models import Certificate, CertificateEvent, CertificateExport
from tests.conftest import staff_login

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:certificates_certificate_changelist")
EXPORT = reverse("admin:certificates_certificate_export")
HEADER = ["일련번호", "주체", "고객", "상태", "키 유형", "유효기간 만료"]


@pytest.fixture(autouse=True)
def fast(settings):
    settings.PIN_SCRYPT_N = 2**10
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff(username, group_name):
    return staff_login(username, group_name, REMOTE_ADDR="10.1.2.3")


@pytest.fixture
def officer():
    return staff("officer", "인증서 관리자")


@pytest.fixture
def reviewer():
    return staff("reviewer", "인증서 검토자")


@pytest.fixture
def population(customer_factory, certificate_factory):
    kim = certificate_factory(customer=customer_factory(user_id="kim0001", name="김철수",
                                                        phone="010-5555-1234"))
    lee = certificate_factory(customer=customer_factory(user_id="lee0001", name="이영희"))
    revoked = certificate_factory(customer=customer_factory(user_id="park001", name="박민수"))
    certificate_revoke(certificate=revoked, reason="key_compromise",
                       actor=CertificateEvent.Actor.SYSTEM)
    return {"kim": kim, "lee": lee, "revoked": revoked}


def download(client, query=""):
    response = client.get(EXPORT + query)
    assert response.status_code == 200, response.status_code
    assert response.streaming
    raw = b"".join(response.streaming_content)  # the test client closes the response at the end
    return response, raw


def parse(raw: bytes) -> list[list[str]]:
    text = raw.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM):])))


def test_the_file_holds_the_list_masked_as_the_list_shows_it(officer, population):
    client, _user = officer
    response, raw = download(client)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="certificates-')
    header, *rows = parse(raw)
    assert header == HEADER
    # Newest first, as the list orders it; each cell the list's own text.
    listed = client.get(CHANGELIST).context["cl"].result_list
    assert [row[0] for row in rows] == [format_serial(c.serial) for c in listed]
    kim = population["kim"]
    [kim_row] = [row for row in rows if row[0] == format_serial(kim.serial)]
    assert kim_row[1] == mask_subject(kim.subject)
    assert kim_row[2] == "kim0001 (김*수)"
    assert kim_row[3] == "정상"
    assert kim_row[4] == "rsa-2048"
    list_page = html.unescape(client.get(CHANGELIST).content.decode())
    for row in rows:
        for cell in row:
            assert cell in list_page  # nothing the list does not show
    text = raw.decode()
    for name in ("김철수", "이영희", "박민수", "5555-1234", "01055551234"):
        assert name not in text


def test_the_list_links_to_the_file_with_its_own_filters(officer, population):
    client, _user = officer
    body = html.unescape(client.get(CHANGELIST + "?status__exact=revoked&q=park001").content.decode())
    assert f'href="{EXPORT}?status__exact=revoked&q=park001"' in body \
        or f'href="{EXPORT}?q=park001&status__exact=revoked"' in body


@pytest.mark.parametrize(("query", "expected"), [
    ("?status__exact=revoked", ["revoked"]),
    ("?status__exact=active", ["kim", "lee"]),
    ("?q=lee0001", ["lee"]),
    ("?status__exact=active&q=kim0001", ["kim"]),
    ("?status__exact=active&q=park001", []),
])
def test_the_filters_and_search_are_kept(officer, population, query, expected):
    client, _user = officer
    _response, raw = download(client, query)
    serials = [row[0] for row in parse(raw)[1:]]
    assert sorted(serials) == sorted(format_serial(population[k].serial) for k in expected)


def test_the_lists_order_is_kept(officer, population):
    client, _user = officer
    _response, raw = download(client, "?o=1")  # by serial, ascending
    serials = [row[0] for row in parse(raw)[1:]]
    assert serials == sorted(serials)
    # The list's own order, not the default one that happens to be sorted too.
    shown = client.get(CHANGELIST + "?o=1").context["cl"].result_list
    assert serials == [format_serial(certificate.serial) for certificate in shown]
    _response, raw = download(client, "?o=-1")
    assert [row[0] for row in parse(raw)[1:]] == serials[::-1]


def test_an_undeclared_lookup_is_refused_as_on_the_list(officer, population):
    client, _user = officer
    assert client.get(EXPORT + "?customer__phone__startswith=%2B8210").status_code == 400
    assert not CertificateExport.objects.exists()


def test_the_export_is_on_record(officer, population):
    client, user = officer
    download(client, "?status__exact=active")
    export = CertificateExport.objects.get()
    assert (export.staff_user, export.client_ip, export.row_count) == (user, "10.1.2.3", 2)
    assert export.filters == {"status__exact": "active"}
    assert export.finished_at is not None


@pytest.mark.parametrize(("term", "kept"), [
    ("김철수", "김*수"),
    ("010-5555-1234", "010-5555-****"),
    ("01055551234", "0105555****"),
    ("kim0001", "kim0001"),
])
def test_the_search_term_is_kept_masked(officer, population, term, kept):
    client, _user = officer
    download(client, f"?q={term}")
    assert CertificateExport.objects.get().filters == {"q": kept}
    assert masked_search_term(term) == kept


def test_a_download_broken_off_keeps_the_rows_sent_and_no_finish(officer, customer_factory,
                                                                  certificate_factory, monkeypatch,
                                                                  rf):
    monkeypatch.setattr("certificates.exports.ROWS_PER_CHUNK", 1)
    for _ in range(3):
        certificate_factory(customer=customer_factory())
    _client, user = officer
    request = rf.get(EXPORT)
    request.user = user
    # The view itself, not through the test client (whose wrapper closes the response its own way).
    response = admin.site._registry[Certificate].export_view(request)
    chunks = iter(response.streaming_content)
    next(chunks), next(chunks)  # the header, one row
    # The browser went away: the server closes the response, and with it the body. (The test's
    # database connection must outlive the request.)
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)
    export = CertificateExport.objects.get()
    assert export.finished_at is None and export.row_count == 1


def test_reviewers_may_not_export(reviewer, population):
    client, _user = reviewer
    assert client.get(EXPORT).status_code == 403
    assert EXPORT not in client.get(CHANGELIST).content.decode()
    assert not CertificateExport.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, population):
    response = client.get(EXPORT)
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- The file's form --------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
    ("+821012345678", "'+821012345678"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("kim0001 (=*d)", "kim0001 (=*d)"),  # only a leading character makes a formula
    ("정상", "정상"),
    (None, ""),
    (7, "7"),
])
def test_cells_that_would_be_formulas_are_neutralised(value, cell):
    assert csv_cell(value) == cell


def test_the_stream_starts_with_a_bom_and_comes_in_chunks(monkeypatch):
    monkeypatch.setattr("certificates.exports.ROWS_PER_CHUNK", 2)
    counted = []
    chunks = list(csv_stream(["a", "b"], ([str(i), "=x"] for i in range(5)),
                             on_row=lambda: counted.append(1)))
    assert len(chunks) == 1 + 3 and len(counted) == 5
    text = b"".join(chunks).decode("utf-8")
    assert text.startswith(BOM + "a,b\r\n")
    assert text.endswith("4,'=x\r\n")


def test_a_name_that_looks_like_a_formula_is_masked_and_neutralised(officer, customer_factory,
                                                                    certificate_factory,
                                                                    monkeypatch):
    # The customer column starts with the user ID; a display that began with the name would
    # start with "=": put the name first to see the file neutralise it.
    certificate_factory(customer=customer_factory(name="=cmd"))
    monkeypatch.setattr(CertificateAdmin, "masked_customer",
                        lambda self, obj: mask_name(obj.customer.name))
    client, _user = officer
    _response, raw = download(client)
    assert parse(raw)[1][2] == "'=**d"


def test_expired_rows_follow_the_expiring_filter(officer, customer_factory, certificate_factory):
    import time_machine

    with time_machine.travel(timezone.now() - timedelta(days=400)):
        gone = certificate_factory(customer=customer_factory())
    certificate_factory(customer=customer_factory())
    client, _user = officer
    _response, raw = download(client, "?expiring=past")
    assert [row[0] for row in parse(raw)[1:]] == [format_serial(gone.serial)]
