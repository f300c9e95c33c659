"""``manage.py reset_simulator``: the demo back to its starting state, the CA kept.

Customers, certificates and everything hanging off them (keys, audit trail, uses, devices), the
challenges, the handset's messages, the channel faults, the daily error counts, the sessions (flows
and cloud connections point at rows that are gone) and the cache (throttles) are cleared; the
clock goes back to real time; the demo customers are created afresh; a new CRL (empty) and OCSP
responder certificate are signed under real time. The CA's keys and the staff accounts stay, and
so does the simulator's own log.

The audit trail is append-only for everyone else: this is the one place that empties it, with
plain DELETE statements (the models refuse ``delete()``), children before parents.
"""

from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection, transaction

from accounts.demo import demo_customers_seed
from accounts.models import Customer
from certcenter import clock
from certcenter.models import SimulatorClock
from certificates.models import (
    Certificate,
    CertificateEvent,
    CertificateUse,
    CloudDevice,
    RevocationList,
    SealedKey,
)
from simulator.models import SimulatorAction
from simulator.services import action_log, status_services_refresh
from verification.models import (
    Challenge,
    ChannelFault,
    DailyFailureCount,
    FraudReport,
    HandsetMessage,
    PhoneLock,
)

# Children before parents.
RESET_MODELS = (
    FraudReport,
    CertificateEvent,
    CertificateUse,
    CloudDevice,
    RevocationList,
    HandsetMessage,
    Challenge,
    DailyFailureCount,
    PhoneLock,
    ChannelFault,
    Certificate,
    SealedKey,
    Customer,
    SimulatorClock,
    Session,
)


def _wipe(model) -> int:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608  (a model's own table name)
        return cursor.rowcount


def simulator_reset(*, user=None) -> dict[str, int]:
    """Return the demo to its starting state; how many rows went, by model."""
    with transaction.atomic():
        # Renewed certificates point at their predecessors: unlink first, then one DELETE each.
        Certificate.objects.update(renewed_from=None, replaced_by=None)
        removed = {model._meta.label: _wipe(model) for model in RESET_MODELS}
        created = demo_customers_seed()
    cache.clear()
    clock.offset_publish(clock.ZERO)
    warnings = status_services_refresh()
    action_log(kind=SimulatorAction.Kind.RESET,
               detail=f"초기화: 데모 고객 {created}명, 인증서 {removed['certificates.Certificate']}건 삭제",
               user=user)
    removed["warnings"] = warnings
    return removed
