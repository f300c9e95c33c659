"""Database sessions (Django's ``db`` backend) with cheaper reads and writes for the hot path.

Every wizard page reads the session and writes it back (the flow's idle clock is touched on each
request), so the two statements are on every request's path; measured under ``make load`` they were
about an eighth of the workers' CPU, and on PostgreSQL each write's commit waited for its WAL flush
(a few milliseconds a page here, longer than rendering it). So, with Django's own semantics kept:

- the read, the insert, the update and the delete are one plain SQL statement each, without
  building a query and a model instance (the ORM's share of the cost); a new key is not looked up
  before its INSERT (which refuses a taken one: Django's ``create()`` then draws again), and a save
  with nothing changed since the row was read or written writes nothing (a cycled key, whose
  INSERT carried the data, needs no UPDATE after it) — Django's backend spent five statements on a
  ``cycle_key()``, this one two. Such a skipped save does not move the expiry on either (as
  Django does not for a session it was not asked to save), and it compares with what this request
  read: should another request have written meanwhile, its write stays (Django's would be undone);
- on PostgreSQL an update commits with ``synchronous_commit`` off for its own transaction only
  (``SET LOCAL``): still atomic and never corrupt, but a crash of the database server in the ~0.6 s
  after it may lose it — the customer then finds the wizard one step back, or the flow restarted,
  and repeats it. Certificates, keys, challenges, the audit trail, a new session and a deleted one
  (a log-out, a cycled key) keep their durable commits.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.db import IntegrityError, connections, router, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string


class SessionStore(db.SessionStore):
    # What the row holds as far as this request knows (its data, canonical JSON), so that a save
    # with nothing changed since (a cycled key's, whose INSERT already wrote it) writes nothing.
    _stored: bytes | None = None

    def _table(self, connection) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

    def _canonical(self, data: dict) -> bytes:
        """The data as the session's serializer writes it (what decides whether it changed)."""
        return self.serializer().dumps(data)

    def load(self):
        connection = connections[router.db_for_read(self.model)]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT session_data FROM {self._table(connection)} "  # noqa: S608 (quoted name)
                "WHERE session_key = %s AND expire_date > %s",
                [self.session_key, now],
            )
            row = cursor.fetchone()
        if row is None:  # unknown or expired: as Django's backend, start a new one
            self._session_key = None
            return {}
        data = self.decode(row[0])
        self._stored = self._canonical(data)
        return data

    def _get_new_session_key(self):
        """A fresh random key, without asking the database whether it is taken first: the INSERT
        refuses a taken one and ``create()`` draws again (Django's loop; one query fewer)."""
        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create=False):
        if self.session_key is None:
            return self.create()
        using = router.db_for_write(self.model)
        connection = connections[using]
        data = self._get_session(no_load=must_create)
        stored = self._canonical(data)
        expire = connection.ops.adapt_datetimefield_value(self.get_expiry_date())
        if must_create:
            # A new session (a visitor identified, a key cycled): a durable commit, as Django's.
            try:
                with transaction.atomic(using=using), connection.cursor() as cursor:
                    cursor.execute(
                        f"INSERT INTO {self._table(connection)} "  # noqa: S608 (quoted name)
                        "(session_key, session_data, expire_date) VALUES (%s, %s, %s)",
                        [self.session_key, self.encode(data), expire],
                    )
            except IntegrityError as error:
                raise CreateError from error
            self._stored = stored
            return
        if stored == self._stored:
            return  # the row already holds exactly this
        with transaction.atomic(using=using), connection.cursor() as cursor:
            if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
                # Only when this is the whole transaction: a session saved inside a larger one
                # (a test, a view under ATOMIC_REQUESTS) leaves that commit as it is.
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(
                f"UPDATE {self._table(connection)} "  # noqa: S608 (quoted name)
                "SET session_data = %s, expire_date = %s WHERE session_key = %s",
                [self.encode(data), expire, self.session_key],
            )
            if cursor.rowcount != 1:
                # Deleted meanwhile (e.g. a log-out in another tab): as Django's backend.
                raise UpdateError
        self._stored = stored

    def delete(self, session_key=None):
        """One DELETE (Django's backend reads the row first to delete it through the ORM)."""
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        using = router.db_for_write(self.model)
        connection = connections[using]
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {self._table(connection)} WHERE session_key = %s",  # noqa: S608
                [session_key],
            )
