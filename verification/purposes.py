"""What each verification is for, in the words the customer reads on the phone.

Apps that ask for a code register their purposes (``purpose_register`` in their ``AppConfig.ready``),
so every code and call names what it unlocks: a customer who did not ask for that knows to stop.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

DEFAULT_LABEL = _("본인 확인")
_labels: dict[str, Promise | str] = {}


def purpose_register(purpose: str, label: Promise | str) -> None:
    _labels[purpose] = label


def purpose_label(purpose: str) -> str:
    return str(_labels.get(purpose, DEFAULT_LABEL))
