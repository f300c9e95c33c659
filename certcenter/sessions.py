"""Database sessions (Django's ``db`` backend) with cheaper reads and writes for the hot path.

Every wizard page reads the session and writes it back (the flow's idle clock is touched on each
request), so the two statements are on every request's path; measured under ``make load`` they were
about an eighth of the workers' CPU, and on PostgreSQL each write's commit waited for its WAL flush
(a few milliseconds a page here, longer than rendering it). So, with Django's own semantics kept:

- the read and the update are one plain SQL statement each, without building a query and a model
  instance (the ORM's share of the cost); creating, deleting and clearing stay Django's;
- on PostgreSQL an update commits with ``synchronous_commit`` off for its own transaction only
  (``SET LOCAL``): still atomic and never corrupt, but a crash of the database server in the ~0.6 s
  after it may lose it — the customer then finds the wizard one step back, or the flow restarted,
  and repeats it. Certificates, keys, challenges, the audit trail, a new session and a deleted one
  (a log-out, a cycled key) keep their durable commits.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import connections, router, transaction
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _table(self, connection) -> str:
        return connection.ops.quote_name(self.model._meta.db_table)

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
        return self.decode(row[0])

    def save(self, must_create=False):
        if self.session_key is None or must_create:
            return super().save(must_create=must_create)
        data = self._get_session()
        using = router.db_for_write(self.model)
        connection = connections[using]
        expire = connection.ops.adapt_datetimefield_value(self.get_expiry_date())
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
