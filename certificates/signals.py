"""Signals around every certificate status change (the shape of django-ca's pre/post_revoke_cert).

``pre_transition`` is sent inside the transaction before the rows change (a receiver may raise to
refuse); ``post_transition`` after they changed, still inside it (use ``transaction.on_commit`` for
anything that leaves the database). Both carry ``transition`` (a ``lifecycle.Transition``) and
``certificate_ids``.
"""

from django.dispatch import Signal

pre_transition = Signal()
post_transition = Signal()
