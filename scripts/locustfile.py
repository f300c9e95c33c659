"""Locust load test: customers walking the whole issuance wizard, codes read on the simulated handset.

Run by ``scripts/load.py`` (``make load``), which starts the server, creates the customers and
checks the database afterwards; on its own (a server already running with the customers of
``load.py --seed-only``)::

    LOAD_FLOWS=100 locust -f scripts/locustfile.py --headless --users 30 --spawn-rate 3 \
        --host http://127.0.0.1:8105 --run-time 5m

Each simulated user is one browser: it takes the next customer, walks 약관 동의 → 본인 확인 → ARS
(the two digits read off the page, keyed in on the handset through its JSON API) → 추가 본인 확인 →
SMS (the code read from the handset's inbox) → 비밀번호 → 발급 완료, with a fresh cookie jar,
then the next customer. After ``LOAD_FLOWS`` flows the users stop and the run ends. Every request
is named after its step, so Locust's percentiles are per step; a step that lands anywhere but the
next step counts as a failure of that step.
"""

import itertools
import os
import re
import sys
from pathlib import Path

from locust import FastHttpUser, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import customer  # noqa: E402  (the customers load.py creates)

WIZARD = "/personal/finance-cert/issue/"
PIN = os.environ.get("LOAD_PIN", "135790")
FLOWS = int(os.environ.get("LOAD_FLOWS", "100"))
TOKEN = os.environ.get("LOAD_HANDSET_TOKEN", "")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ARS_NUMBER = re.compile(r'class="big-number"[^>]*>\s*(\d{2})\s*<')

_next_customer = itertools.count()
outcome = {"completed": 0, "failed": 0}


class FlowFailed(Exception):
    pass


class WizardCustomer(FastHttpUser):
    """One browser, one customer after another, each through the whole wizard."""

    # No think time: the test measures the server, and the run is bounded by LOAD_FLOWS.
    wait_time = staticmethod(lambda: 0)

    @task
    def issue_certificate(self):
        index = next(_next_customer)
        if index >= FLOWS:
            raise StopUser()
        self.client.cookiejar.clear()  # a new customer, a new browser session
        person = customer(index)
        try:
            self.walk(person)
        except FlowFailed:
            outcome["failed"] += 1
        else:
            outcome["completed"] += 1
        if outcome["completed"] + outcome["failed"] >= FLOWS:
            self.environment.runner.quit()

    # -- the steps --------------------------------------------------------------------------

    def walk(self, person: dict) -> None:
        phone = person["phone"].replace("-", "")
        page = self.page("terms: GET", WIZARD)
        identify = self.post("terms: POST", WIZARD, page, {
            "agree_all": "on", "terms_service": "on", "terms_privacy": "on",
            "terms_unique_id": "on",
        }, expect="identify/?terms=")
        page = self.page("identify: GET", identify)
        self.post("identify: POST", identify, page, {
            "user_id": person["user_id"], "rrn_front": person["rrn_front"],
            "rrn_back": person["rrn_back"],
        }, expect="ars/")

        page = self.page("ars: GET", WIZARD + "ars/")
        self.post("ars: POST call", WIZARD + "ars/", page, {"action": "call"}, expect="ars/")
        page = self.page("ars: GET (number shown)", WIZARD + "ars/")
        number = ARS_NUMBER.search(page)
        if number is None:
            self.fail("ars: GET (number shown)", "no two-digit number on the page")
        ringing = self.api("handset: GET call", "GET", f"/phone/api/{phone}/call/")
        if not ringing.get("call"):
            self.fail("handset: GET call", "the phone is not ringing")
        self.api("handset: POST keys", "POST", f"/phone/api/{phone}/call/keys/",
                 {"digits": number.group(1)})
        self.post("ars: POST check", WIZARD + "ars/", page, {"action": "check"}, expect="extra/")

        page = self.page("extra: GET", WIZARD + "extra/")
        self.post("extra: POST", WIZARD + "extra/", page,
                  {"method": "bank_certificate", "confirm_contact": "on"}, expect="sms/")

        page = self.page("sms: GET", WIZARD + "sms/")
        identity = {key: person[key] for key in ("name", "birth_date", "phone")}
        self.post("sms: POST send", WIZARD + "sms/", page, {"action": "send", **identity},
                  expect="sms/")
        page = self.page("sms: GET (code sent)", WIZARD + "sms/")
        inbox = self.api("handset: GET messages", "GET", f"/phone/api/{phone}/messages/?limit=1")
        code = next((m["code"] for m in inbox.get("messages", []) if m.get("code")), None)
        if code is None:
            self.fail("handset: GET messages", "no code in the inbox")
        self.post("sms: POST verify", WIZARD + "sms/", page,
                  {"action": "verify", **identity, "code": code}, expect="pin/")

        page = self.page("pin: GET", WIZARD + "pin/")
        self.post("pin: POST (issue)", WIZARD + "pin/", page, {"pin": PIN, "pin_confirm": PIN},
                  expect="done/")
        self.page("done: GET", WIZARD + "done/", must_contain="발급")

    # -- HTTP, as a browser does it ---------------------------------------------------------

    def fail(self, step: str, why: str):
        events.request.fire(request_type="FLOW", name=step, response_time=0, response_length=0,
                            exception=FlowFailed(why), context={})
        raise FlowFailed(why)

    def page(self, step: str, url: str, *, must_contain: str = "") -> str:
        with self.client.get(url, name=step, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200 or (must_contain and must_contain not in r.text):
                r.failure(f"{r.status_code} {r.headers.get('Location', '')}")
                raise FlowFailed(step)
            return r.text

    def post(self, step: str, url: str, page: str, data: dict, *, expect: str) -> str:
        token = CSRF.search(page)
        if token is None:
            self.fail(step, "no CSRF token on the page")
        data = {"csrfmiddlewaretoken": token.group(1), **data}
        with self.client.post(url, data=data, name=step, allow_redirects=False,
                              catch_response=True) as r:
            location = r.headers.get("Location", "")
            if r.status_code != 302 or expect not in location:
                r.failure(f"{r.status_code} → {location or 'no redirect'}")
                raise FlowFailed(step)
            return location

    def api(self, step: str, method: str, url: str, body: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {TOKEN}"} if TOKEN else {}
        with self.client.request(method, url, name=step, json=body, headers=headers,
                                 catch_response=True) as r:
            if r.status_code != 200:
                r.failure(str(r.status_code))
                raise FlowFailed(step)
            return r.json()


@events.test_stop.add_listener
def report_outcome(environment, **_kwargs):
    print(f"LOAD_OUTCOME completed={outcome['completed']} failed={outcome['failed']}", flush=True)
