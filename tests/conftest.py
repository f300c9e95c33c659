"""Fixtures shared by every app's tests: customers and certificates made through the real services."""

import itertools
import uuid

import pytest

from accounts.services import customer_create
from certificates.services import certificate_issue
from verification.backends import locmem

# The PIN the tests issue with: it passes every PIN rule for the demo customer 홍길동.
PIN = "135790"
LOCMEM = "verification.backends.locmem.LocmemBackend"

_sequence = itertools.count(1)


# PINs tests issue or change to: no factory customer's phone may hold four of their digits.
_TEST_PINS = ("135790", "246801", "246802", "482915", "482916", "975318", "975310", "604917",
              "543210", "910324", "910342", "972400", "890123")


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.postgres`` tests (concurrent writers, row locks) skip on any other database."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=f"needs PostgreSQL (running on {connection.vendor})")
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.fixture
def customer_factory(db):
    """Create customers through ``customer_create``; every call gets a fresh ID, number and phone."""

    def make(**overrides):
        n = next(_sequence)
        # A phone's middle or last four digits may not appear in the PIN (bank rule): skip the
        # numbers whose four digits sit inside a PIN the tests use (user1357 and PIN 135790).
        while any(f"{n % 10000:04d}" in pin for pin in _TEST_PINS):
            n = next(_sequence)
        fields = {
            "user_id": f"user{n:04d}",
            "name": "홍길동",
            # 1990-01-01 .. with a varying tail; the legacy check digit is irrelevant here.
            "resident_number": f"900101-1{n:06d}",
            # Past the 999th customer of a run, a second block (still 010-XXXX-XXXX, unique).
            "phone": f"010-9{n:03d}-{n:04d}" if n < 1000 else f"010-8{n // 10000:03d}-{n % 10000:04d}",
            "email": f"user{n}@example.com",
        }
        fields.update(overrides)
        return customer_create(**fields)

    return make


@pytest.fixture
def customer(customer_factory):
    return customer_factory(
        user_id="hong", name="홍길동", resident_number="900101-1234568", phone="010-1234-5678",
        email="hong@example.com",
    )


@pytest.fixture
def certificate_factory(db, request):
    """Issue certificates through ``certificate_issue``; every call gets a fresh flow ID.

    The owner is the ``customer`` fixture unless ``customer=`` says otherwise (requested only then,
    so a test issuing for other customers alone does not create 홍길동 as well); any other keyword
    (``pin``, ``reissue_reason``, ``flow_id``, ...) goes to the service as given.
    """
    def make(*, customer=None, pin=PIN, **overrides):
        if customer is None:
            customer = request.getfixturevalue("customer")
        overrides.setdefault("flow_id", uuid.uuid4().hex)
        return certificate_issue(customer=customer, pin=pin, **overrides)

    return make


@pytest.fixture
def certificate(certificate_factory):
    return certificate_factory()


@pytest.fixture
def published_crl(db):
    """The first CRL, as ``init_ca`` publishes it: neither the CRL view nor a relying party signs
    one, so a test that reads the CRL before any revocation asks for this."""
    from certificates.publication import crl_publish

    return crl_publish()


@pytest.fixture
def outbox(settings):
    """SMS and ARS delivered into the locmem backend's outbox, empty at the start and the end."""
    settings.SMS_BACKEND = LOCMEM
    settings.ARS_BACKEND = LOCMEM
    settings.SIMULATED_PHONE_ENABLED = True
    locmem.clear_outbox()
    yield locmem.outbox
    locmem.clear_outbox()


@pytest.fixture(scope="session", autouse=True)
def simulated_ca(tmp_path_factory):
    """One real CA for the whole run, in a temporary CA_DIR (never the developer's own)."""
    from django.conf import settings

    from certcenter import clock
    from certificates.ca import ca_create, clear_ca_cache
    from certificates.ocsp import signer_ensure

    clock.offset_publish(clock.ZERO)  # real time, without asking the database (none yet)
    directory = tmp_path_factory.mktemp("ca")
    settings.CA_DIR = directory
    clear_ca_cache()
    ca = ca_create(directory=directory)
    signer_ensure()
    return ca


@pytest.fixture(scope="session", autouse=True)
def staff_otp_off():
    """Admin tests sign staff in with ``force_login``; the second factor is tested on its own.

    ``STAFF_OTP_REQUIRED`` follows DEBUG (so a local .env would decide); tests/test_staff_login.py
    turns it on where the TOTP code is the subject.
    """
    from django.conf import settings

    settings.STAFF_OTP_REQUIRED = False


@pytest.fixture(scope="session", autouse=True)
def simulator_controls_off():
    """The simulator's clock and faults stay out of the way (``SIMULATOR_CONTROLS_ENABLED`` follows
    DEBUG, so a local .env would decide): no offset is read, no fault applies. tests/simulator/ and
    the simulator's browser test switch them on (their ``controls`` fixture)."""
    from django.conf import settings

    settings.SIMULATOR_CONTROLS_ENABLED = False


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (PIN-check leases live there) and the simulator clock
    at real time (its offset's copy lives in the cache and in the process)."""
    from django.core.cache import cache

    from certcenter import clock
    from certificates.signing import _crl_serials

    cache.clear()
    clock.offset_publish(clock.ZERO)
    # Parsed CRLs are kept per (number, thisUpdate): a rolled-back test database hands the next
    # test the same number again, which a real database never does.
    _crl_serials.cache_clear()
    yield
    cache.clear()
    clock.offset_publish(clock.ZERO)


def run_threads_together(function, count: int) -> list:
    """Call ``function`` from ``count`` threads released at the same instant; what each returned or
    raised (PostgreSQL concurrency tests)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    barrier = threading.Barrier(count)

    def worker(_):
        try:
            barrier.wait(timeout=10)
            try:
                return function()
            except Exception as exc:  # returned so the test can look at it
                return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(worker, range(count)))


def staff_login(username, group_name=None, **client_options):
    """A staff user (in the group ``group_name``, if given) and a test client signed in as them:
    ``(client, user)``. ``client_options`` go to ``Client`` (``REMOTE_ADDR=...``)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    user = User.objects.create_user(username, password="x", is_staff=True)
    if group_name:
        user.groups.add(Group.objects.get(name=group_name))
    client = Client(**client_options)
    client.force_login(user)
    return client, user
