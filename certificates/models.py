"""Certificates the simulated CA issued, the sealed keys they certify, and their audit trail."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Customer
from certcenter.clock import now as clock_now

# The encryption purpose of a sealed key's VID random R (kept like a resident number).
VID_PURPOSE = "certificates.vid_random"


class SealedKey(models.Model):
    """A customer's private key held "in the cloud": sealed under their PIN and the server pepper.

    Successive certificates over the same key (renewals) point here; the PIN failure count and the
    lock live here because they guard the key, not one certificate.
    """

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="sealed_keys")
    key_type = models.CharField(max_length=16)
    sealed_private_key = models.BinaryField(editable=False)
    # The VID random R, encrypted like a resident number (it lets anyone holding the number
    # recompute the VID, so it is as sensitive as the binding itself).
    vid_random_encrypted = models.TextField(editable=False)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    # The earliest time the next PIN check of this key may start: held while a check runs (a short
    # lease) and pushed back after each wrong PIN (see services.certificate_unlock_key).
    pin_retry_at = models.DateTimeField(null=True, blank=True)
    # On the one clock (not auto_now_add): issuance compares it with clock.now().
    created_at = models.DateTimeField(default=clock_now, editable=False)

    class Meta:
        verbose_name = _("보관 키")
        verbose_name_plural = _("보관 키")

    def __str__(self):
        return f"{self.key_type} key #{self.pk}"

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class CertificateQuerySet(models.QuerySet):
    def current(self):
        """Certificates that still stand for their customer (at most one per customer)."""
        return self.filter(status__in=Certificate.CURRENT_STATUSES)

    def revocable(self, *, now):
        """Current ones, and renewed ones still valid (their key still signs until expiry)."""
        return self.filter(
            Q(status__in=Certificate.CURRENT_STATUSES)
            | Q(status=Certificate.Status.RENEWED, not_after__gte=now)
        )

    def active(self):
        return self.filter(status=Certificate.Status.ACTIVE)

    def expiring(self, *, now, within_days: int):
        """Active certificates that expire within the next ``within_days`` days (not yet expired):
        what the renewal job takes and what staff filter for."""
        from datetime import timedelta

        return self.active().filter(
            not_after__gte=now, not_after__lte=now + timedelta(days=within_days)
        )

    def past_expiry(self, *, now):
        return self.current().filter(not_after__lt=now)


class Certificate(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("발급 중")
        ACTIVE = "active", _("정상")
        LOCKED = "locked", _("잠김(비밀번호 오류)")
        REISSUE_REQUIRED = "reissue_required", _("재발급 필요")
        RENEWED = "renewed", _("갱신됨")
        REVOKED = "revoked", _("폐기")
        SUSPENDED = "suspended", _("효력정지")
        EXPIRED = "expired", _("만료")
        FAILED = "failed", _("발급 실패")

    class RevocationReason(models.TextChoices):
        # Values are cryptography's x509.ReasonFlags names (RFC 5280 CRLReason).
        UNSPECIFIED = "unspecified", _("사유 없음")
        KEY_COMPROMISE = "key_compromise", _("키 손상")
        AFFILIATION_CHANGED = "affiliation_changed", _("정보 변경")
        SUPERSEDED = "superseded", _("대체 발급")
        CESSATION_OF_OPERATION = "cessation_of_operation", _("사용 중지")
        # 효력정지 (suspension): on the CRL and in OCSP while it lasts, taken off on 효력회복.
        CERTIFICATE_HOLD = "certificate_hold", _("효력정지")

    # A suspended certificate is still the customer's (on hold, not gone): a reissue replaces it.
    CURRENT_STATUSES = (Status.ACTIVE, Status.LOCKED, Status.REISSUE_REQUIRED, Status.SUSPENDED)

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="certificates")
    sealed_key = models.ForeignKey(SealedKey, on_delete=models.PROTECT, related_name="certificates")
    # Hex of the serial number (up to 159 bits → 40 hex digits), planned before signing.
    serial = models.CharField(_("일련번호"), max_length=40, unique=True)
    subject = models.CharField(_("주체"), max_length=255)
    key_type = models.CharField(_("키 유형"), max_length=16)
    not_before = models.DateTimeField(_("유효기간 시작"))
    not_after = models.DateTimeField(_("유효기간 만료"), db_index=True)
    status = models.CharField(_("상태"), max_length=20, choices=Status, default=Status.PENDING)
    revocation_reason = models.CharField(
        _("폐기 사유"), max_length=32, choices=RevocationReason, blank=True
    )
    revoked_at = models.DateTimeField(_("폐기 일시"), null=True, blank=True)
    der = models.BinaryField(null=True, editable=False)
    # What the certificate was issued for, so renewal can tell whether the customer still matches.
    issued_name = models.CharField(max_length=50)
    issued_phone = models.CharField(max_length=16)
    # The wizard flow that asked for it: a second submit of the same flow finds this row.
    flow_id = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    renewed_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="renewed_by",
        verbose_name=_("갱신 전 인증서"),
    )
    replaced_by = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaces",
        verbose_name=_("재발급된 인증서"),
    )
    # On the one clock, like not_before: the wizard measures a pending issuance against clock.now().
    created_at = models.DateTimeField(_("등록 일시"), default=clock_now, editable=False)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("인증서")
        verbose_name_plural = _("인증서")
        ordering = ["-created_at"]
        permissions = [("revoke_certificate", _("인증서를 폐기할 수 있음"))]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(status__in=["active", "locked", "reissue_required", "suspended"]),
                name="one_current_certificate_per_customer",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "not_after"], name="certificate_status_expiry"),
            # Counting by status (the admin overview): a few values over millions of rows, so
            # PostgreSQL's B-tree deduplication keeps this index a fraction of the others' size
            # and an index-only scan of it counts 1,000,000 rows ~3× faster.
            models.Index(fields=["status"], name="certificate_status"),
            # What renewal pages through, soonest first: only the active ones. Without it PostgreSQL
            # sorted every due row for each batch, or stepped over every certificate already
            # renewed in the window (seconds a batch in a million).
            models.Index(fields=["not_after"], condition=Q(status="active"),
                         name="certificate_active_expiry"),
            models.Index(fields=["customer", "status"], name="certificate_customer_status"),
        ]

    def __str__(self):
        return f"{self.serial} ({self.get_status_display()})"

    @property
    def serial_int(self) -> int:
        return int(self.serial, 16)

    @property
    def is_current(self) -> bool:
        return self.status in self.CURRENT_STATUSES

    @property
    def is_revocable(self) -> bool:
        from certcenter.clock import now

        return self.is_current or (
            self.status == self.Status.RENEWED and self.not_after >= now()
        )


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk changes are refused too, not only ``save()`` / ``delete()`` on one row."""

    def update(self, **kwargs):
        raise ValueError(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise ValueError(f"{self.model.__name__} rows are append-only.")

    update.queryset_only = True
    delete.queryset_only = True


class CertificateEvent(models.Model):
    """Append-only audit trail of certificate lifecycle events. Never holds a secret."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("발급")
        REISSUED = "reissued", _("재발급")
        RENEWED = "renewed", _("갱신")
        RENEWAL_SKIPPED = "renewal_skipped", _("갱신 보류")
        EXPIRED = "expired", _("만료")
        REVOKED = "revoked", _("폐기")
        LOCKED = "locked", _("잠김")
        PIN_FAILED = "pin_failed", _("비밀번호 오류")
        VERIFICATION_FAILED = "verification_failed", _("본인 확인 실패")
        ISSUE_FAILED = "issue_failed", _("발급 실패")
        PIN_CHANGED = "pin_changed", _("비밀번호 변경")
        CLOUD_CONNECTED = "cloud_connected", _("클라우드 연결")
        CLOUD_DISCONNECTED = "cloud_disconnected", _("클라우드 연결 해제")
        SIGNATURE_REFUSED = "signature_refused", _("서명 검증 실패")
        SUSPENDED = "suspended", _("효력정지")
        RESUMED = "resumed", _("효력회복")

    class Actor(models.TextChoices):
        CUSTOMER = "customer", _("고객")
        STAFF = "staff", _("직원")
        SYSTEM = "system", _("시스템")

    kind = models.CharField(_("이벤트"), max_length=24, choices=Kind)
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, null=True, blank=True, related_name="events",
        verbose_name=_("인증서"),
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="certificate_events",
        verbose_name=_("고객"),
    )
    actor = models.CharField(_("수행자 구분"), max_length=10, choices=Actor)
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        verbose_name=_("직원"),
    )
    client_ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    reason = models.CharField(_("사유"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("일시"), db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("인증서 이력")
        verbose_name_plural = _("인증서 이력")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("CertificateEvent rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("CertificateEvent rows are append-only.")


class ReissueReason(models.TextChoices):
    """Why a customer asks for a new certificate (the words of the reissue page)."""

    LOST = "lost", _("분실")
    PIN = "pin", _("비밀번호 분실/잠김")
    COMPROMISED = "compromised", _("해킹 등 보안 문제")
    DETAILS_CHANGED = "details_changed", _("개인정보 변경")
    EXPIRED = "expired", _("유효기간 만료")


# The RFC 5280 reason the old certificate is revoked with. A lost key must be presumed compromised.
REVOCATION_REASON_FOR_REISSUE = {
    ReissueReason.LOST: Certificate.RevocationReason.KEY_COMPROMISE,
    ReissueReason.PIN: Certificate.RevocationReason.SUPERSEDED,
    ReissueReason.COMPROMISED: Certificate.RevocationReason.KEY_COMPROMISE,
    ReissueReason.DETAILS_CHANGED: Certificate.RevocationReason.AFFILIATION_CHANGED,
    ReissueReason.EXPIRED: Certificate.RevocationReason.SUPERSEDED,
}


class RevocationList(models.Model):
    """A CRL signed by the issuing CA; the newest row is served at the CRL distribution point."""

    this_update = models.DateTimeField(_("발행 일시"))
    next_update = models.DateTimeField(_("다음 발행 예정"))
    der = models.BinaryField(editable=False)
    entry_count = models.PositiveIntegerField(_("폐기 항목 수"), default=0)

    class Meta:
        verbose_name = _("인증서 폐지 목록(CRL)")
        verbose_name_plural = _("인증서 폐지 목록(CRL)")
        get_latest_by = "pk"

    def __str__(self):
        return f"CRL #{self.pk} ({self.entry_count})"


class CloudDevice(models.Model):
    """A browser the customer let connect to their cloud certificates without asking again (자동 연결).

    The browser holds a random token in a signed cookie; only the token's HMAC is stored, so a
    database dump connects nobody. Revocable one by one (이용 기기) and ending by itself.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="cloud_devices",
                                 verbose_name=_("고객"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    label = models.CharField(_("기기"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("등록 일시"))
    last_used_at = models.DateTimeField(_("마지막 사용"))
    expires_at = models.DateTimeField(_("만료 일시"))
    revoked_at = models.DateTimeField(_("해제 일시"), null=True, blank=True)

    class Meta:
        verbose_name = _("이용 기기")
        verbose_name_plural = _("이용 기기")
        ordering = ["-last_used_at"]

    def __str__(self):
        return self.label or f"device #{self.pk}"


class CertificateUse(models.Model):
    """One use of a certificate (a signature asked for, made and checked): append-only, no secret.

    ``purpose`` is the signing service's type (01 로그인, 02 송금 …); ``content_digest`` the SHA-256
    of exactly what was signed; ``result`` "ok" or the refusal's code.
    """

    class Purpose(models.TextChoices):
        LOGIN = "01", _("로그인")
        TRANSFER = "02", _("송금")

    certificate = models.ForeignKey(Certificate, on_delete=models.PROTECT, related_name="uses",
                                    verbose_name=_("인증서"))
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="certificate_uses",
                                 verbose_name=_("고객"))
    purpose = models.CharField(_("용도"), max_length=2, choices=Purpose)
    content_digest = models.CharField(_("서명 원문 SHA-256"), max_length=64)
    result = models.CharField(_("결과"), max_length=32)
    client_ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("일시"), db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("인증서 사용 기록")
        verbose_name_plural = _("인증서 사용 기록")
        ordering = ["-created_at", "-id"]
        constraints = [
            # A signed content is accepted once (its nonce makes it unique): a replay is refused
            # by the database even when two arrive at the same moment.
            models.UniqueConstraint(fields=["certificate", "content_digest"], condition=Q(result="ok"),
                                    name="certificate_use_accepted_once"),
        ]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.result}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("CertificateUse rows are append-only.")
        super().save(*args, **kwargs)

    @property
    def ok(self) -> bool:
        return self.result == "ok"


# -- Operations: renewal runs and exports on record ---------------------------------------------


class RenewalRun(models.Model):
    """One run of the renewal job (cron, a shell, the simulator page), written as it goes.

    The row is committed when the run starts and brought up to date after each batch, so a run
    whose process died stays on record as unfinished (``finished_at`` empty). No personal data:
    counts, options and, per failure, the serial and the error's type and scrubbed message.
    """

    class Outcome(models.TextChoices):
        RUNNING = "running", _("실행 중 또는 중단됨")
        SUCCEEDED = "succeeded", _("성공")
        FAILED = "failed", _("일부 실패")
        ABORTED = "aborted", _("오류로 중단")

    started_at = models.DateTimeField(_("시작 일시"), db_index=True)
    finished_at = models.DateTimeField(_("종료 일시"), null=True, blank=True)
    outcome = models.CharField(_("결과"), max_length=10, choices=Outcome, default=Outcome.RUNNING)
    exit_status = models.SmallIntegerField(_("종료 코드"), null=True, blank=True)
    host = models.CharField(_("호스트"), max_length=255)
    pid = models.PositiveIntegerField(_("프로세스 ID"))
    source = models.CharField(_("실행 경로"), max_length=20)
    dry_run = models.BooleanField(_("모의 실행"), default=False)
    window_days = models.PositiveIntegerField(_("갱신 대상 기간(일)"))
    batch_size = models.PositiveIntegerField(_("배치 크기"))
    limit = models.PositiveIntegerField(_("최대 처리 수"), null=True, blank=True)
    batches = models.PositiveIntegerField(_("완료한 배치"), default=0)
    renewed = models.PositiveIntegerField(_("갱신"), default=0)
    skipped = models.JSONField(_("보류(사유별)"), default=dict, blank=True)
    skipped_total = models.PositiveIntegerField(_("보류"), default=0)
    expired = models.PositiveIntegerField(_("만료 처리"), default=0)
    failed = models.PositiveIntegerField(_("실패"), default=0)
    error = models.CharField(_("중단 원인"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("갱신 실행 기록")
        verbose_name_plural = _("갱신 실행 기록")
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self):
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M} {self.get_outcome_display()}"


class RenewalFailure(models.Model):
    """A certificate a renewal run could not renew, with the error (never personal data)."""

    run = models.ForeignKey(RenewalRun, on_delete=models.CASCADE, related_name="failure_rows",
                            verbose_name=_("갱신 실행"))
    certificate = models.ForeignKey(Certificate, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+", verbose_name=_("인증서"))
    serial = models.CharField(_("일련번호"), max_length=40)
    error = models.CharField(_("오류"), max_length=500)

    class Meta:
        verbose_name = _("갱신 실패")
        verbose_name_plural = _("갱신 실패")
        ordering = ["id"]

    def __str__(self):
        return f"{self.serial}: {self.error}"


class CertificateExport(models.Model):
    """A staff member's CSV export of the certificate list: who, which filters, how many rows.

    Written when the download starts and completed when its last row is sent; a download the
    browser broke off keeps the rows sent so far and no finish time. The search term is kept
    only in the masked form the list shows (a name or phone typed by an officer is personal data).
    """

    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   verbose_name=_("직원"))
    client_ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    filters = models.JSONField(_("필터"), default=dict, blank=True)
    started_at = models.DateTimeField(_("시작 일시"), db_index=True)
    finished_at = models.DateTimeField(_("완료 일시"), null=True, blank=True)
    row_count = models.PositiveIntegerField(_("행 수"), default=0)

    class Meta:
        verbose_name = _("인증서 목록 내보내기")
        verbose_name_plural = _("인증서 목록 내보내기")
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{timezone.localtime(self.started_at):%Y-%m-%d %H:%M} {self.row_count}"
