"""The one place that declares the wizard's steps: order, titles, when each applies, what it proves.

The guard, the step indicator, the URL configuration, the done page and the tests all read this
registry; nothing else lists the steps.
"""

import functools
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.module_loading import import_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

ISSUE, REISSUE = "issue", "reissue"
# What the wizard's ARS call and SMS code are for (verification names them to the customer).
ARS_PURPOSE = "issuance.ars"
SMS_PURPOSE = "issuance.sms"
PURPOSE_LABEL = _("금융인증서 발급/재발급")


def certificate_brand() -> str:
    """KB국민은행 → KB국민인증서: the bank's own certificate the seed's 추가 본인 확인 names."""
    return settings.BANK_NAME.removesuffix("은행") + "인증서"


@dataclass(frozen=True)
class Step:
    name: str
    title: Promise
    path: str  # below the wizard's base URL
    view_name: str  # in certificates.wizard.views
    reissue_only: bool = False
    # Passing it proves more about who the customer is: the session key is cycled.
    raises_identity: bool = False
    # The last step: shown after the flow ended, never "current" in a flow.
    final: bool = False

    @property
    def display_title(self) -> str:
        return str(self.title).format(certificate_brand=certificate_brand())

    def applies_to(self, kind: str) -> bool:
        return not self.reissue_only or kind == REISSUE

    @property
    def view(self):
        return import_string(f"certificates.wizard.views.{self.view_name}")


STEPS = (
    Step("terms", _("약관 동의"), "", "TermsView"),
    Step("identify", _("본인 확인"), "identify/", "IdentifyView", raises_identity=True),
    Step("reissue", _("재발급 사유 선택"), "reissue/", "ReissueView", reissue_only=True),
    Step("ars", _("ARS 인증"), "ars/", "ArsView", raises_identity=True),
    Step("extra", _("추가 본인 확인"), "extra/", "ExtraView"),
    Step("sms", _("{certificate_brand} 인증"), "sms/", "SmsView", raises_identity=True),
    Step("pin", _("비밀번호 설정"), "pin/", "PinView"),
    Step("done", _("발급 완료"), "done/", "DoneView", final=True),
)
_BY_NAME = {step.name: step for step in STEPS}
FIRST = STEPS[0].name
FINAL = STEPS[-1].name


def step_get(name: str) -> Step:
    return _BY_NAME[name]


def steps_for(kind: str) -> tuple[Step, ...]:
    """The steps of a flow of this kind, the final one included."""
    return tuple(step for step in STEPS if step.applies_to(kind))


def step_title(name: str) -> str:
    return step_get(name).display_title


@dataclass(frozen=True)
class IndicatorItem:
    name: str
    title: str
    done: bool
    current: bool


def step_indicator(*, kind: str, current: str, done: set[str] | frozenset[str]) -> dict:
    """What every wizard page shows: "3 / 8 본인 확인" and the list of steps."""
    return dict(_step_indicator(kind, current, frozenset(done), get_language(), settings.BANK_NAME))


@functools.lru_cache(maxsize=256)
def _step_indicator(kind: str, current: str, done: frozenset[str], _language: str,
                    _bank_name: str) -> dict:
    """Worked out once per process for each flow position (the titles depend on the language and
    the bank's name too, hence those in the key)."""
    steps = steps_for(kind)
    names = [step.name for step in steps]
    return {
        "step": current,
        "step_title": step_title(current),
        "step_number": names.index(current) + 1,
        "total_steps": len(steps),
        "steps": tuple(
            IndicatorItem(step.name, step.display_title, step.name in done, step.name == current)
            for step in steps
        ),
    }
