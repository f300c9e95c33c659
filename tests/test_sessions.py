"""certcenter.sessions: Django's database sessions with plain-SQL reads and updates keep Django's
behaviour (transactional_db: on PostgreSQL the update is then its own transaction, the path that
commits with synchronous_commit off)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.utils import timezone

from certcenter.sessions import SessionStore

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_session_is_written_read_and_updated():
    store = SessionStore()
    store["flow"] = {"step": "ars"}
    store.create()
    again = SessionStore(store.session_key)
    assert again["flow"] == {"step": "ars"}
    again["flow"] = {"step": "extra"}
    again.save()
    assert SessionStore(store.session_key)["flow"] == {"step": "extra"}
    assert Session.objects.get(session_key=store.session_key).get_decoded() == {
        "flow": {"step": "extra"}}


def test_an_update_moves_the_expiry_on():
    store = SessionStore()
    store["a"] = 1
    store.create()
    first = Session.objects.get(session_key=store.session_key).expire_date
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        again = SessionStore(store.session_key)
        again["a"] = 2
        again.save()
    assert Session.objects.get(session_key=store.session_key).expire_date > first


def test_an_expired_session_reads_as_a_new_empty_one():
    store = SessionStore()
    store["a"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    late = SessionStore(store.session_key)
    assert late.get("a") is None
    assert late.session_key is None  # a save now makes a new session, never revives the old


def test_an_unknown_key_reads_as_empty():
    store = SessionStore("x" * 32)
    assert dict(store.items()) == {}
    assert store.session_key is None


def test_saving_a_session_deleted_meanwhile_is_refused():
    store = SessionStore()
    store["a"] = 1
    store.create()
    other_tab = SessionStore(store.session_key)
    other_tab["a"]  # loaded
    store.delete()
    other_tab["a"] = 2
    with pytest.raises(UpdateError):
        other_tab.save()
    assert not Session.objects.exists()


def test_a_tampered_session_reads_as_empty():
    store = SessionStore()
    store["a"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).update(session_data="forged:data")
    assert SessionStore(store.session_key).get("a") is None


def statements(queries) -> list[str]:
    """The SQL verbs run, transaction control left out."""
    verbs = [query["sql"].split()[0].upper() for query in queries]
    return [verb for verb in verbs if verb not in {"SET", "SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"}]


def test_cycling_the_key_is_one_insert_and_one_delete():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    store = SessionStore()
    store["flow"] = {"step": "ars"}
    store.create()
    old = store.session_key
    browser = SessionStore(old)
    assert browser["flow"] == {"step": "ars"}
    with CaptureQueriesContext(connection) as queries:
        browser.cycle_key()
        browser.save()  # what the middleware does once the key changed: nothing left to write
    assert statements(queries) == ["INSERT", "DELETE"]
    assert browser.session_key != old
    assert not Session.objects.filter(session_key=old).exists()
    assert SessionStore(browser.session_key)["flow"] == {"step": "ars"}
    # A change after the cycle is written.
    browser["flow"] = {"step": "extra"}
    browser.save()
    assert SessionStore(browser.session_key)["flow"] == {"step": "extra"}


def test_a_save_with_nothing_changed_writes_nothing():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    store = SessionStore()
    store["flow"] = {"step": "ars", "done": {"terms": 1.5}}
    store.create()
    again = SessionStore(store.session_key)
    again["flow"] = {"step": "ars", "done": {"terms": 1.5}}  # the same, written anew
    with CaptureQueriesContext(connection) as queries:
        again.save()
    assert statements(queries) == []  # (read when the flow was set) no UPDATE
    again["flow"]["step"] = "extra"
    with CaptureQueriesContext(connection) as queries:
        again.save()
    assert statements(queries) == ["UPDATE"]
    assert SessionStore(store.session_key)["flow"]["step"] == "extra"


def test_a_taken_key_is_drawn_again(monkeypatch):
    taken = SessionStore()
    taken["who"] = "first"
    taken.create()
    keys = iter([taken.session_key, "x" * 32])
    store = SessionStore()
    monkeypatch.setattr(store, "_get_new_session_key", lambda: next(keys))
    store["who"] = "second"
    store.create()
    assert store.session_key == "x" * 32
    assert SessionStore(taken.session_key)["who"] == "first"
    assert SessionStore("x" * 32)["who"] == "second"
