"""The texts a customer signs in the 모의 인터넷뱅킹: built here only, so what is shown is what is signed.

Each is plain UTF-8 text, one item a line ("\\n"), ending with a newline; the request number (the
bank's nonce) is on its own line so the verifier can find it in the signed bytes. Not translated:
the signed bytes must not depend on the language of the page.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import Customer

LOGIN_TITLE = "[모의 인터넷뱅킹 로그인]"
TRANSFER_TITLE = "[모의 인터넷뱅킹 이체]"


@dataclass(frozen=True)
class Transfer:
    """A transfer as the customer asked for it (validated by TransferForm)."""

    bank_code: str
    bank_name: str
    account: str
    amount: int
    memo: str

    def as_dict(self) -> dict:
        return {"bank_code": self.bank_code, "bank_name": self.bank_name, "account": self.account,
                "amount": self.amount, "memo": self.memo}


def _when(at: datetime) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M:%S} (KST)"


def won(amount: int) -> str:
    return f"{amount:,}원"


def login_text(*, customer: Customer, at: datetime, nonce: str) -> str:
    return "\n".join([
        LOGIN_TITLE,
        f"은행: {settings.BANK_NAME} (모의)",
        f"이용자 ID: {customer.user_id}",
        f"일시: {_when(at)}",
        f"인증 요청번호: {nonce}",
    ]) + "\n"


def transfer_text(*, customer: Customer, transfer: Transfer, at: datetime, nonce: str) -> str:
    return "\n".join([
        TRANSFER_TITLE,
        f"출금: {settings.BANK_NAME} 모의 계좌 (이용자 ID {customer.user_id})",
        f"받는 분 은행: {transfer.bank_name}",
        f"받는 분 계좌: {transfer.account}",
        f"금액: {won(transfer.amount)}",
        f"메모: {transfer.memo or '-'}",
        f"일시: {_when(at)}",
        f"거래 요청번호: {nonce}",
    ]) + "\n"
