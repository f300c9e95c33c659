"""The issuance wizard's state: one JSON dict in the server-side session.

The flow holds the flow kind, the customer's primary key once identified, the steps done with their
times, the challenge ids and what the customer typed that is not secret (so an error never loses it).
Never a resident number, a PIN or a code.
"""

import uuid
from dataclasses import dataclass

from django.conf import settings

from certcenter.clock import now
from certificates.wizard.steps import FINAL, ISSUE, steps_for

SESSION_KEY = "certcenter.flow"
# A page shown (GET) within this many seconds of the flow's last touch does not touch it again: the
# page after a POST (Post/Redirect/Get) comes milliseconds after the POST saved the flow, and a
# refresh needs no session write. So a flow may idle out up to this much early, of its 10 minutes.
TOUCH_RESOLUTION = 5
FINISHED_KEY = "certcenter.finished"


@dataclass
class Flow:
    data: dict

    @classmethod
    def new(cls) -> "Flow":
        stamp = now().timestamp()
        return cls({"id": uuid.uuid4().hex, "kind": ISSUE, "done": {}, "created": stamp,
                    "touched": stamp})

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
    def current_step(self) -> str:
        for step in steps_for(self.kind):
            if step.name not in self.data["done"]:
                return step.name
        return FINAL

    @property
    def done_steps(self) -> frozenset[str]:
        return frozenset(self.data["done"])

    def complete(self, step: str) -> None:
        self.data["done"][step] = now().timestamp()

    def is_idle(self) -> bool:
        return now().timestamp() - self.data["touched"] > settings.FLOW_IDLE_TIMEOUT

    def is_too_old(self) -> bool:
        """Past ``FLOW_MAX_AGE`` since it began: touching keeps a flow from idling, not for ever."""
        return now().timestamp() - self.data["created"] > settings.FLOW_MAX_AGE

    def touched_within(self, seconds: float) -> bool:
        return now().timestamp() - self.data["touched"] < seconds

    def touch(self) -> None:
        self.data["touched"] = now().timestamp()

    @property
    def expires_at(self) -> float:
        """When the flow ends if nothing happens: idle, or at its maximum age if that is sooner."""
        return min(self.data["touched"] + settings.FLOW_IDLE_TIMEOUT,
                   self.data["created"] + settings.FLOW_MAX_AGE)

    def seconds_left(self) -> int:
        return max(0, int(self.expires_at - now().timestamp()))

    def get(self, key, default=None):
        return self.data.get(key, default)

    def set(self, key, value) -> None:
        self.data[key] = value


def flow_load(request) -> Flow | None:
    data = request.session.get(SESSION_KEY)
    if data:
        # A flow begun before flows had a birth time: its life is counted from now.
        data.setdefault("created", now().timestamp())
    return Flow(data) if data else None


def flow_save(request, flow: Flow) -> None:
    request.session[SESSION_KEY] = flow.data


def flow_clear(request) -> None:
    request.session.pop(SESSION_KEY, None)
