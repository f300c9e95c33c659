"""The fictional demo customers loaded by ``manage.py seed_demo`` (listed in the README too)."""

from dataclasses import dataclass

from accounts.models import Customer


@dataclass(frozen=True)
class DemoCustomer:
    user_id: str
    name: str
    resident_number: str
    phone: str
    email: str
    kind: str = Customer.Kind.PERSONAL
    internet_banking_enrolled: bool = True
    note: str = ""


DEMO_CUSTOMERS = (
    DemoCustomer("demo1", "홍길동", "900101-1234568", "010-1234-5678", "hong@example.com",
                 note="개인, 기본 시연 고객"),
    DemoCustomer("demo2", "김하늘", "210315-4123450", "010-2345-6789", "sky@example.com",
                 note="2021년생: 2020-10-05 이후 부여 번호(옛 검증번호 불일치)"),
    DemoCustomer("demo3", "존스미스", "850707-5123452", "010-3456-7890", "john@example.com",
                 note="외국인 등록번호(뒷자리 5)"),
    DemoCustomer("demo4", "이철수", "780320-1123457", "010-4567-8901", "chulsoo@example.com",
                 internet_banking_enrolled=False, note="인터넷뱅킹 미가입: 본인 확인에서 거절"),
    DemoCustomer("demo5", "가상상사(주)", "750505-1123455", "010-5678-9012", "corp@example.com",
                 kind=Customer.Kind.CORPORATE, note="기업 고객(대표자 번호)"),
    DemoCustomer("demo6", "최수진", "950815-2123455", "010-6789-0123", "sujin@example.com",
                 note="개인, 재발급 시연용"),
)


def demo_customers_seed() -> int:
    """Create the demo customers that are missing (idempotent); how many were created."""
    from django.db import transaction

    from accounts.services import customer_create

    created = 0
    with transaction.atomic():
        for demo in DEMO_CUSTOMERS:
            if Customer.objects.filter(user_id=demo.user_id).exists():
                continue
            customer_create(
                user_id=demo.user_id, name=demo.name, resident_number=demo.resident_number,
                phone=demo.phone, email=demo.email, kind=demo.kind,
                internet_banking_enrolled=demo.internet_banking_enrolled,
            )
            created += 1
    return created
