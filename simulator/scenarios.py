"""Training scenarios: fictional customers in named states, made through the real services.

Each state is reached the way a customer would reach it — a certificate issued by
``certificate_issue`` (with the clock travelled back for one issued "last year"), five wrong PINs
through ``certificate_unlock_key``, a suspension through the lifecycle, details changed through
``customer_update`` — so audit trail, notices, CRL and renewal treat them as genuine. Idempotent:
a scenario whose customer exists is left as it is (``manage.py reset_simulator`` starts over).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Customer
from accounts.services import customer_create, customer_update
from certcenter import clock
from certificates import lifecycle
from certificates.models import Certificate, CertificateEvent
from certificates.services import KeyLocked, PinRefused, certificate_issue, certificate_unlock_key
from certificates.wizard.steps import ARS_PURPOSE
from simulator.models import SimulatorAction
from simulator.services import action_log
from verification.services import ars_call_start, fraud_report_call

# Every scenario certificate's PIN (it passes the PIN rules for each scenario customer).
SCENARIO_PIN = "135790"
WRONG_PIN = "975318"
EXPIRES_IN_DAYS = 10


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    shows: str
    user_id: str
    name: str
    resident_number: str
    phone: str
    build: Callable[[Customer], str]
    internet_banking_enrolled: bool = True

    @property
    def email(self) -> str:
        return f"{self.user_id}@example.com"


def _issue(customer: Customer, *, days_ago: int = 0) -> Certificate:
    """A certificate issued ``days_ago`` days before the simulator's now, as the wizard issues."""
    with clock.travel(-timedelta(days=days_ago)):
        return certificate_issue(customer=customer, pin=SCENARIO_PIN,
                                 flow_id=f"scenario-{customer.user_id}-{uuid.uuid4().hex[:8]}")


def _issued_last_year(customer: Customer) -> Certificate:
    """Issued so that it expires in EXPIRES_IN_DAYS days: inside the renewal window."""
    return _issue(customer, days_ago=settings.CERTIFICATE_VALIDITY_DAYS - EXPIRES_IN_DAYS)


def _build_expiring(customer: Customer) -> str:
    certificate = _issued_last_year(customer)
    return f"인증서 만료일 {timezone.localdate(certificate.not_after).isoformat()}"


def _build_locked(customer: Customer) -> str:
    certificate = _issue(customer, days_ago=30)
    # Wrong PINs a minute apart: each pause after a wrong PIN (1, 2, 4, 8 s) has passed.
    for minute in range(settings.PIN_MAX_FAILURES):
        with clock.travel(-timedelta(minutes=settings.PIN_MAX_FAILURES - minute)):
            try:
                certificate_unlock_key(certificate=certificate, pin=WRONG_PIN, client_ip=None)
            except KeyLocked:
                break
            except PinRefused:
                continue
    certificate.refresh_from_db()
    return f"인증서 상태 {certificate.get_status_display()}"


def _build_suspended(customer: Customer) -> str:
    certificate = _issue(customer, days_ago=30)
    lifecycle.certificate_suspend(certificate=certificate, actor=CertificateEvent.Actor.CUSTOMER,
                                  note="교육 시나리오")
    return "인증서 효력정지"


def _build_phone_changed(customer: Customer) -> str:
    _issued_last_year(customer)
    customer_update(customer=customer, phone="010-7001-1004")
    return "발급 후 휴대폰 번호 변경 (010-7001-1004), 인증서 10일 후 만료"


def _build_name_changed(customer: Customer) -> str:
    _issued_last_year(customer)
    customer_update(customer=customer, name="서개명")
    return "발급 후 이름 변경 (서이름 → 서개명), 인증서 10일 후 만료"


def _build_not_enrolled(customer: Customer) -> str:
    return "인터넷뱅킹 미가입"


def _build_fraud_blocked(customer: Customer) -> str:
    """An issued certificate, then a reissue's ARS call the customer reports as not their own."""
    _issue(customer, days_ago=30)
    call = ars_call_start(phone=customer.phone, purpose=ARS_PURPOSE, customer=customer,
                          flow_id=f"scenario-{customer.user_id}")
    report, _ = fraud_report_call(phone=customer.phone, challenge_id=call.pk)
    until = timezone.localtime(report.blocked_until).strftime("%Y-%m-%d %H:%M")
    return f"본인 요청 아님 신고 (발급 제한 {until}까지)"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("expiring", "인증서 10일 후 만료",
             "‘30일 이내 만료’ 필터에 보이고, 자동 갱신 실행 시 갱신되며 새 유효기간을 알리는 문자가 "
             "휴대폰에 도착합니다.",
             "scn_expiring", "박만료", "880808-1234561", "010-7001-0001", _build_expiring),
    Scenario("locked", "비밀번호 5회 오류로 잠김",
             "모의 인터넷뱅킹 로그인이 거절되고(잠김), 재발급(비밀번호 분실/잠김)으로만 다시 쓸 수 "
             "있습니다. 인증서 이력에 비밀번호 오류 5건과 잠김이 남습니다.",
             "scn_locked", "정잠김", "870707-2234562", "010-7001-0002", _build_locked),
    Scenario("suspended", "효력정지",
             "서명이 거절되고 CRL과 OCSP에 certificateHold로 나옵니다. 인증서 관리 → 효력회복"
             "(ARS + SMS)으로 되살립니다.",
             "scn_suspended", "강정지", "860606-1234563", "010-7001-0003", _build_suspended),
    Scenario("phone_changed", "발급 후 휴대폰 번호 변경",
             "자동 갱신이 이 인증서를 건너뛰고(휴대폰 번호 변경) ‘재발급 필요’로 바꾸며, 새 번호로 "
             "재발급 안내 문자를 보냅니다.",
             "scn_phone", "윤번호", "850505-2234564", "010-7001-0004", _build_phone_changed),
    Scenario("name_changed", "발급 후 이름 변경",
             "자동 갱신이 건너뛰고(이름 변경) ‘재발급 필요’로 바꿉니다. 재발급 사유 ‘개인정보 변경’을 "
             "연습합니다.",
             "scn_name", "서이름", "840404-1234565", "010-7001-0005", _build_name_changed),
    Scenario("not_enrolled", "인터넷뱅킹 미가입",
             "본인 확인(아이디 + 주민등록번호)에서 발급이 거절됩니다.",
             "scn_notenrolled", "한미가입", "830303-2234566", "010-7001-0006", _build_not_enrolled,
             internet_banking_enrolled=False),
    Scenario("fraud_blocked", "사기 신고로 발급 차단",
             "‘본인이 요청하지 않음’ 신고 후 FRAUD_BLOCK_HOURS 동안 발급·재발급이 거절됩니다. "
             "관리자 화면에서 신고를 확인하고 해제합니다.",
             "scn_fraud", "오신고", "820202-1234567", "010-7001-0007", _build_fraud_blocked),
)


def scenario_customers() -> dict[str, Customer]:
    """The scenarios' customers that exist, by scenario key."""
    by_user_id = {c.user_id: c for c in Customer.objects.filter(
        user_id__in=[s.user_id for s in SCENARIOS])}
    return {s.key: by_user_id[s.user_id] for s in SCENARIOS if s.user_id in by_user_id}


def scenarios_create(*, user=None) -> list[str]:
    """Create every scenario whose customer does not exist yet; one line per scenario."""
    present = scenario_customers()
    lines = []
    created = 0
    for scenario in SCENARIOS:
        label = f"{scenario.key} ({scenario.user_id}, {scenario.name})"
        if scenario.key in present:
            lines.append(f"{label}: 이미 있음")
            continue
        customer = customer_create(
            user_id=scenario.user_id, name=scenario.name, resident_number=scenario.resident_number,
            phone=scenario.phone, email=scenario.email,
            internet_banking_enrolled=scenario.internet_banking_enrolled,
        )
        lines.append(f"{label}: {scenario.build(customer)}")
        created += 1
    action_log(kind=SimulatorAction.Kind.SCENARIOS, detail=f"교육 시나리오 {created}개 생성",
               user=user)
    return lines
