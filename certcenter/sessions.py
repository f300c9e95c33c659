"""Database sessions whose writes do not wait for the disk.

Every wizard page writes the session (the flow's idle clock is touched on each request), and on
PostgreSQL each of those commits waited for its WAL flush: a few milliseconds a page here, longer
than rendering it. A session write is committed with ``synchronous_commit`` off for its own
transaction only (``SET LOCAL``): it is still atomic and never corrupt, but a crash of the database
server in the ~0.6 s after it may lose it — the customer then finds the wizard one step back (or
the flow restarted) and repeats it. Nothing else is relaxed: certificates, keys, challenges and
their audit rows keep their durable commits, and deleting a session (log-out, a cycled key) is
durable as before.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router, transaction


class SessionStore(db.SessionStore):
    def save(self, must_create=False):
        # Django's own save (django/contrib/sessions/backends/db.py), with one statement more.
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        connection = connections[using]
        try:
            with transaction.atomic(using=using):
                if connection.vendor == "postgresql" and connection.get_autocommit() is False \
                        and len(connection.atomic_blocks) == 1:
                    # Only when this is the whole transaction: a session saved inside a larger
                    # one (a test, a view in ATOMIC_REQUESTS) leaves its commit as it is.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
