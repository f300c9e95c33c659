"""The issuance wizard's state: one JSON dict in the server-side session, and the one step order.

The flow holds the flow kind, the customer's primary key once identified, the steps done with their
times, the challenge ids and what the customer typed that is not secret (so an error never loses it).
Never a resident number, a PIN or a code.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from certcenter.clock import now

SESSION_KEY = "certcenter.flow"
FINISHED_KEY = "certcenter.finished"

# The one place that knows the step order. "reissue" is only in a reissue flow.
STEPS = ("terms", "identify", "reissue", "ars", "extra", "sms", "pin")
STEP_TITLES = {
    "terms": _("약관 동의"),
    "identify": _("본인 확인"),
    "reissue": _("재발급 사유 선택"),
    "ars": _("ARS 인증"),
    "extra": _("추가 본인 확인"),
    "sms": _("{certificate_brand} 인증"),
    "pin": _("비밀번호 설정"),
    "done": _("발급 완료"),
}

ISSUE, REISSUE = "issue", "reissue"


def certificate_brand() -> str:
    """KB국민은행 → KB국민인증서: the bank's own certificate the seed's 추가 본인 확인 names."""
    return settings.BANK_NAME.removesuffix("은행") + "인증서"


def step_title(step: str) -> str:
    return str(STEP_TITLES[step]).format(certificate_brand=certificate_brand())


@dataclass
class Flow:
    data: dict

    @classmethod
    def new(cls) -> "Flow":
        stamp = now().timestamp()
        return cls({"id": uuid.uuid4().hex, "kind": ISSUE, "done": {}, "touched": stamp})

    @property
    def id(self) -> str:
        return self.data["id"]

    @property
    def kind(self) -> str:
        return self.data["kind"]

    @property
    def customer_id(self) -> int | None:
        return self.data.get("customer")

    @property
    def steps(self) -> tuple[str, ...]:
        return tuple(s for s in STEPS if s != "reissue" or self.kind == REISSUE)

    @property
    def current_step(self) -> str:
        for step in self.steps:
            if step not in self.data["done"]:
                return step
        return "done"

    def step_number(self, step: str) -> int:
        return self.steps.index(step) + 1 if step in self.steps else len(self.steps) + 1

    @property
    def total_steps(self) -> int:
        return len(self.steps) + 1  # + 발급 완료

    def complete(self, step: str) -> None:
        self.data["done"][step] = now().timestamp()

    def is_idle(self) -> bool:
        return now().timestamp() - self.data["touched"] > settings.FLOW_IDLE_TIMEOUT

    def touch(self) -> None:
        self.data["touched"] = now().timestamp()

    @property
    def expires_at(self) -> float:
        return self.data["touched"] + settings.FLOW_IDLE_TIMEOUT

    def get(self, key, default=None):
        return self.data.get(key, default)

    def set(self, key, value) -> None:
        self.data[key] = value


def flow_load(request) -> Flow | None:
    data = request.session.get(SESSION_KEY)
    return Flow(data) if data else None


def flow_save(request, flow: Flow) -> None:
    request.session[SESSION_KEY] = flow.data


def flow_clear(request) -> None:
    request.session.pop(SESSION_KEY, None)
