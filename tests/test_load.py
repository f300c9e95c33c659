"""``make load`` and ``bench.py pages`` drive the real site: these smoke tests keep their customers,
their sessions and the bench-only bare page in step with it (figures are the scripts' business)."""

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import clear_url_caches

from accounts.phone import normalize_phone
from accounts.services import customer_create

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


@pytest.fixture(scope="module")
def load():
    spec = importlib.util.spec_from_file_location("load", SCRIPTS / "load.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(SCRIPTS))  # load.py imports from bench.py, as it does run as a script
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPTS))
    return module


@pytest.fixture
def bench_urls(settings):
    """The benchmark servers' URLconf (scripts/bench_urls.py) in place of the site's."""
    sys.path.insert(0, str(SCRIPTS))
    settings.ROOT_URLCONF = "bench_urls"
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [*settings.TEMPLATES[0]["DIRS"], SCRIPTS / "templates"]}]
    clear_url_caches()
    yield
    sys.path.remove(str(SCRIPTS))
    clear_url_caches()


@pytest.mark.parametrize("index", [0, 1, 9_999, 10_000, 19_999])
def test_the_load_customers_are_valid_customers(load, db, index):
    person = load.customer(index)
    customer = customer_create(
        user_id=person["user_id"], name=person["name"],
        resident_number=f"{person['rrn_front']}-{person['rrn_back']}", phone=person["phone"],
    )
    assert customer.phone == normalize_phone(person["phone"])
    assert customer.birth_date.strftime("%Y%m%d") == person["birth_date"]


def test_the_load_customers_do_not_share_an_id_or_a_phone(load):
    people = [load.customer(i) for i in range(20_000)]
    assert len({p["user_id"] for p in people}) == len({p["phone"] for p in people}) == 20_000


def test_the_bare_page_is_a_django_template_page_with_a_csrf_token(bench_urls, db):
    response = Client().get("/bench/bare/")
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content
    assert "csrftoken" in response.cookies
    assert "Content-Security-Policy" in response  # the site's middleware, all of it


def test_the_session_yardstick_reads_the_session_once(bench_urls, db, django_assert_num_queries):
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store["certcenter.flow"] = {"kind": "issue"}
    store.create()
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    with django_assert_num_queries(1):
        response = client.get("/bench/session/")
    assert response.status_code == 200
    assert b'name="csrfmiddlewaretoken"' in response.content


def test_the_site_itself_has_no_bare_page(db):
    assert Client().get("/bench/bare/").status_code == 404
    assert Client().get("/bench/session/").status_code == 404


def test_every_page_the_page_bench_measures_is_shown_to_its_session(load, bench_urls, db,
                                                                   capsys):
    load.worker_sessions()
    pages = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"terms", "identify", "ars", "sms", "pin", "done", "manage"} <= set(pages)
    for name, (url, cookie) in pages.items():
        client = Client()
        if cookie:
            key, _, value = cookie.partition("=")
            client.cookies[key] = value
        with override_settings(SIMULATED_PHONE_ENABLED=True):
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.get("Location"))
