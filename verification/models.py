"""Identity challenges (an ARS call or an SMS code) and the simulated handset's outbox.

A challenge keeps an HMAC of its code, never the code; the outbox keeps message bodies encrypted,
so a database dump reveals no code that could still be typed in.
"""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import crypto
from accounts.masking import mask_phone
from accounts.phone import format_phone
from certcenter.clock import now
from verification.codes import default_code_generator

HANDSET_BODY_PURPOSE = "verification.handset_message"


class CallResult(models.TextChoices):
    """Why an ARS call ended without the customer's digits (the network's word for it)."""

    NO_ANSWER = "no_answer", _("응답 없음")
    BUSY = "busy", _("통화 중")
    DROPPED = "dropped", _("통화 끊김")


class Challenge(models.Model):
    class Channel(models.TextChoices):
        SMS = "sms", _("SMS 인증번호")
        ARS = "ars", _("ARS 전화 인증")

    class Status(models.TextChoices):
        PENDING = "pending", _("대기")
        VERIFIED = "verified", _("인증 완료")
        EXPIRED = "expired", _("시간 초과")
        EXHAUSTED = "exhausted", _("입력 횟수 초과")
        CANCELLED = "cancelled", _("취소")
        # The customer said on the handset that they did not ask for it (FraudReport).
        REPORTED = "reported", _("본인 요청 아님 신고")

    # Random, so a challenge id seen in a URL or a poll cannot be used to guess another.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    channel = models.CharField(_("채널"), max_length=3, choices=Channel)
    phone = models.CharField(_("휴대폰 번호"), max_length=16)
    purpose = models.CharField(_("용도"), max_length=64)
    flow_id = models.CharField(_("진행 ID"), max_length=64, blank=True)
    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("고객"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="challenges",
    )
    code_hmac = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("생성일시"), default=now)
    expires_at = models.DateTimeField(_("만료일시"))
    attempts = models.PositiveSmallIntegerField(_("입력 횟수"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("최대 입력 횟수"))
    status = models.CharField(_("상태"), max_length=10, choices=Status, default=Status.PENDING)
    verified_at = models.DateTimeField(_("인증일시"), null=True, blank=True)
    # How the phone network ended an ARS call before the digits came (a busy line, no answer,
    # a drop), as a call platform reports it, and when. Set by a backend; blank for a normal call.
    call_result = models.CharField(_("통화 결과"), max_length=10, choices=CallResult, blank=True)
    call_ended_at = models.DateTimeField(_("통화 종료 일시"), null=True, blank=True)

    class Meta:
        verbose_name = _("본인 확인 요청")
        verbose_name_plural = _("본인 확인 요청")
        ordering = ["-created_at"]
        indexes = [
            # Cooldown and send-cap queries: the latest / recent challenges of one phone.
            models.Index(fields=["phone", "channel", "created_at"], name="challenge_phone_recent"),
        ]

    def __str__(self):
        channel, status = self.get_channel_display(), self.get_status_display()
        return f"{channel} {mask_phone(self.phone)} ({status})"

    def is_expired(self, at: datetime | None = None) -> bool:
        """Valid up to and including ``expires_at``; expired one instant later."""
        return default_code_generator.is_expired(self.expires_at, at=at)

    def call_is_over(self, at: datetime | None = None) -> bool:
        """Whether the network ended this call (busy, unanswered, dropped) by ``at``."""
        return self.call_ended_at is not None and self.call_ended_at <= (at or now())

    @property
    def attempts_left(self) -> int:
        if self.status != self.Status.PENDING:
            return 0
        return max(0, self.max_attempts - self.attempts)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class PhoneLock(models.Model):
    """One row per phone number, locked while a challenge for that phone is created.

    Cooldown, send cap and "a new code cancels the old one" are read-then-write rules: two requests
    that both read "no recent code" would both send. Locking this row (``select_for_update``) makes
    them take turns on PostgreSQL. A row of its own rather than the latest challenge, because a
    phone's first challenge has no earlier row to lock. On SQLite every write transaction already
    takes the database write lock at BEGIN (``transaction_mode=IMMEDIATE`` in settings).
    """

    phone = models.CharField(max_length=16, unique=True)

    class Meta:
        verbose_name = _("휴대폰 잠금")
        verbose_name_plural = _("휴대폰 잠금")

    def __str__(self):
        return mask_phone(self.phone)


class DailyFailureCount(models.Model):
    """The wrong codes and digits a customer entered on one day (Asia/Seoul), across all challenges.

    A challenge caps its own wrong entries, but a new code starts afresh; this count does not, so
    one customer gets ``VERIFICATION_DAILY_MAX_FAILURES`` guesses a day, not 5 per code. One row per
    customer, counted again from zero when ``day`` is not today. Entries lock it
    (``select_for_update``) while they are checked, so concurrent guesses take turns and the count
    never passes the cap. Officers may clear it in admin.
    """

    customer = models.OneToOneField(
        "accounts.Customer",
        verbose_name=_("고객"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    day = models.DateField(_("날짜"))
    failures = models.PositiveIntegerField(_("잘못 입력한 횟수"), default=0)

    class Meta:
        verbose_name = _("하루 인증 오류")
        verbose_name_plural = _("하루 인증 오류")
        permissions = [("clear_dailyfailurecount", _("하루 인증 오류 제한을 해제할 수 있음"))]

    def __str__(self):
        return f"{self.day} · {self.failures}"


class HandsetMessage(models.Model):
    """What the simulated phone network delivered: an SMS or a ringing ARS call."""

    class Kind(models.TextChoices):
        SMS = "sms", _("문자")
        CALL = "call", _("전화")

    phone = models.CharField(_("휴대폰 번호"), max_length=16)
    kind = models.CharField(_("종류"), max_length=4, choices=Kind)
    # Encrypted: an SMS body carries a live code.
    body_encrypted = models.TextField(editable=False)
    challenge = models.ForeignKey(
        Challenge,
        verbose_name=_("본인 확인 요청"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="handset_messages",
    )
    created_at = models.DateTimeField(_("수신일시"), default=now)

    class Meta:
        verbose_name = _("모의 휴대폰 수신함")
        verbose_name_plural = _("모의 휴대폰 수신함")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["phone", "kind", "created_at"], name="handset_phone_recent")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {mask_phone(self.phone)}"

    def set_body(self, text: str) -> None:
        self.body_encrypted = encrypt_body(text)

    @property
    def body(self) -> str:
        return crypto.decrypt(self.body_encrypted, purpose=HANDSET_BODY_PURPOSE)

    def body_or(self, default: str = "") -> str:
        """The text, or ``default`` when it no longer opens (a rotated-away key): a handset shows
        what it can rather than fail."""
        try:
            return self.body
        except crypto.DecryptionError:
            return default


def encrypt_body(text: str) -> str:
    """A handset message as stored: sealed like a resident number (it may carry a code)."""
    return crypto.encrypt(text, purpose=HANDSET_BODY_PURPOSE)


# --- simulator controls: faults of the simulated phone network (DESIGN §10) ------------------------


class ChannelFault(models.Model):
    """A fault the simulated SMS/ARS network applies to one phone, or to every phone (blank).

    Applied by ``verification.backends.simulated`` only (see ``verification.faults``); one fault per
    channel and phone, a phone's own before the one for every phone. Staff set them on the
    시뮬레이터 제어 page, testers on the handset; ignored unless ``SIMULATOR_CONTROLS_ENABLED``.
    """

    class Kind(models.TextChoices):
        SMS_DELAYED = "sms_delayed", _("SMS 지연 도착")
        SMS_LOST = "sms_lost", _("SMS 유실")
        SMS_DUPLICATED = "sms_duplicated", _("SMS 두 번 도착")
        SMS_REORDERED = "sms_reordered", _("SMS 순서 뒤바뀜")
        ARS_NO_ANSWER = "ars_no_answer", _("ARS 전화 받지 않음")
        ARS_BUSY = "ars_busy", _("ARS 통화 중")
        ARS_DROPPED = "ars_dropped", _("ARS 통화 중 끊김")

    channel = models.CharField(_("채널"), max_length=3, choices=Challenge.Channel, editable=False)
    phone = models.CharField(_("휴대폰 번호"), max_length=16, blank=True,
                             help_text=_("비워 두면 모든 휴대폰"))
    kind = models.CharField(_("장애"), max_length=16, choices=Kind)
    seconds = models.PositiveIntegerField(_("초"), default=0)
    created_at = models.DateTimeField(_("설정 일시"), default=now)

    class Meta:
        verbose_name = _("채널 장애")
        verbose_name_plural = _("채널 장애")
        ordering = ["channel", "phone"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "phone"], name="channel_fault_one_per_phone"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {mask_phone(self.phone) if self.phone else '*'}"

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone) if self.phone else ""
# --- fraud reports ("본인이 요청하지 않음") -------------------------------------------------------


class FraudReport(models.Model):
    """A customer said a call or a code they received was not their own request.

    While open and before ``blocked_until`` it blocks issuance and reissue for the customer
    (``customer_fraud_block``); staff clear it once the customer called the bank. Who, what, when
    and from where, never a code: the challenge is linked, its HMAC stays where it was.
    """

    class Source(models.TextChoices):
        CALL = "call", _("ARS 전화")
        SMS = "sms", _("문자")

    class Status(models.TextChoices):
        OPEN = "open", _("미처리")
        CLEARED = "cleared", _("해제")

    customer = models.ForeignKey(
        "accounts.Customer",
        verbose_name=_("고객"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fraud_reports",
    )
    phone = models.CharField(_("휴대폰 번호"), max_length=16)
    source = models.CharField(_("신고 경로"), max_length=4, choices=Source)
    challenge = models.ForeignKey(
        Challenge,
        verbose_name=_("본인 확인 요청"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="fraud_reports",
    )
    message = models.ForeignKey(
        HandsetMessage,
        verbose_name=_("신고한 문자"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    purpose = models.CharField(_("용도"), max_length=64, blank=True)
    client_ip = models.GenericIPAddressField(_("신고 IP"), null=True, blank=True)
    reported_at = models.DateTimeField(_("신고일시"), default=now)
    blocked_until = models.DateTimeField(_("발급 제한 종료"))
    status = models.CharField(_("상태"), max_length=8, choices=Status, default=Status.OPEN)
    cleared_at = models.DateTimeField(_("해제일시"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("해제한 직원"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("본인 요청 아님 신고")
        verbose_name_plural = _("본인 요청 아님 신고")
        ordering = ["-reported_at", "-id"]
        indexes = [
            # The block check on every identification: a customer's open reports.
            models.Index(fields=["customer", "status", "blocked_until"], name="fraud_customer_open"),
            models.Index(fields=["status", "reported_at"], name="fraud_status_recent"),
        ]
        constraints = [
            # One report per call or code, and per SMS, however often (or however concurrently)
            # 본인이 요청하지 않음 is pressed on the page and through the API.
            models.UniqueConstraint(
                fields=["challenge"], condition=models.Q(challenge__isnull=False),
                name="fraud_one_per_challenge",
            ),
            models.UniqueConstraint(
                fields=["message"], condition=models.Q(message__isnull=False),
                name="fraud_one_per_message",
            ),
        ]

    def __str__(self):
        return f"{self.get_source_display()} {mask_phone(self.phone)} ({self.get_status_display()})"
