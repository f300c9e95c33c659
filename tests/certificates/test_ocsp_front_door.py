"""The OCSP responder's front door in ``certcenter.wsgi``: what gunicorn calls answers the
responder's path before Django's middleware, with the same answers as the view, and passes
everything else to Django untouched."""

import base64
import io

import pytest
from cryptography import x509
from cryptography.x509 import ocsp
from django.core import signals
from django.db import close_old_connections

from certcenter.wsgi import application
from certificates.responder import OCSPFrontDoor
from tests.certificates.test_ocsp import request_der, revoke

Status = ocsp.OCSPCertStatus


@pytest.fixture(autouse=True)
def keep_the_test_transaction():
    # As Django's test client does: the test's transaction must survive the request's signals.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def call(method: str, path: str, body: bytes = b"", **extra):
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(), "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "application/ocsp-request", **extra,
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(headers)

    content = b"".join(application(environ, start_response))
    return seen["status"], seen["headers"], content


def answer_of(content: bytes):
    return ocsp.load_der_ocsp_response(content)


def test_gunicorns_application_is_the_front_door():
    assert isinstance(application, OCSPFrontDoor)


@pytest.mark.django_db
def test_post_answers_good_then_revoked(certificate):
    status, headers, content = call("POST", "/ca/ocsp", request_der(certificate.serial_int))
    assert status == "200 OK"
    assert headers["Content-Type"] == "application/ocsp-response"
    assert headers["Cache-Control"] == "no-cache"
    assert headers["Content-Length"] == str(len(content))
    assert answer_of(content).certificate_status is Status.GOOD
    revoke(certificate)
    _, _, content = call("POST", "/ca/ocsp", request_der(certificate.serial_int))
    assert answer_of(content).certificate_status is Status.REVOKED


@pytest.mark.django_db
def test_get_with_the_request_in_the_path_and_its_nonce_echoed(certificate):
    der = request_der(certificate.serial_int, nonce=b"0123456789abcdef")
    encoded = base64.b64encode(der).decode()
    status, _, content = call("GET", "/ca/ocsp/" + encoded)
    answer = answer_of(content)
    assert status == "200 OK"
    assert answer.certificate_status is Status.GOOD
    assert answer.extensions.get_extension_for_class(
        x509.OCSPNonce).value.nonce == b"0123456789abcdef"


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/ca/ocsp", b""),
    ("POST", "/ca/ocsp", b"not der"),
    ("POST", "/ca/ocsp", b"\x30" * 9000),
    ("GET", "/ca/ocsp/not*base64", b""),
    ("GET", "/ca/ocsp", b""),
])
def test_what_cannot_be_read_is_malformed_request(method, path, body):
    status, _, content = call(method, path, body)
    assert status == "200 OK"
    assert answer_of(content).response_status is ocsp.OCSPResponseStatus.MALFORMED_REQUEST


@pytest.mark.django_db
def test_a_fault_of_ours_is_internal_error_not_a_500(certificate, monkeypatch):
    def broken(der):
        raise RuntimeError("database down")

    monkeypatch.setattr("certificates.ocsp.ocsp_respond", broken)
    status, _, content = call("POST", "/ca/ocsp", request_der(certificate.serial_int))
    assert status == "200 OK"
    assert answer_of(content).response_status is ocsp.OCSPResponseStatus.INTERNAL_ERROR


@pytest.mark.django_db
def test_other_methods_there_go_to_django_which_refuses_them():
    status, headers, _ = call("PUT", "/ca/ocsp")
    assert status.startswith("405")
    assert headers["Allow"] == "GET, POST"


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "expected"), [("/", "200"), ("/personal/", "200"),
                                              ("/ca/ocspx", "404")])
def test_every_other_path_goes_through_django_and_its_middleware(path, expected):
    status, headers, _ = call("GET", path)
    assert status.startswith(expected)
    # A header only Django's middleware adds: the request went through it.
    assert "Permissions-Policy" in headers
    assert headers.get("Content-Type") != "application/ocsp-response"
