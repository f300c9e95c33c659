"""Bank customers as the certificate center knows them; resident numbers only ever encrypted."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import crypto
from accounts.masking import mask_email, mask_name, mask_phone, mask_resident_number
from accounts.phone import format_phone, normalize_phone
from accounts.rrn import parse_resident_number

RRN_PURPOSE = "customer.resident_number"

user_id_validator = RegexValidator(
    r"^[a-z][a-z0-9_]{3,19}$",
    _("아이디는 영문 소문자로 시작하는 4~20자의 영문 소문자, 숫자, 밑줄(_)입니다."),
    code="user_id",
)


class Customer(models.Model):
    class Kind(models.TextChoices):
        PERSONAL = "personal", _("개인")
        CORPORATE = "corporate", _("기업")

    user_id = models.CharField(
        _("인터넷뱅킹 아이디"), max_length=20, unique=True, validators=[user_id_validator]
    )
    name = models.CharField(_("이름"), max_length=50, db_index=True)
    resident_number_encrypted = models.TextField(_("주민등록번호(암호문)"), editable=False)
    resident_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    birth_date = models.DateField(_("생년월일"))
    phone = models.CharField(_("휴대폰 번호"), max_length=16, db_index=True)
    email = models.EmailField(_("이메일"), blank=True)
    kind = models.CharField(_("고객 구분"), max_length=10, choices=Kind, default=Kind.PERSONAL)
    internet_banking_enrolled = models.BooleanField(_("인터넷뱅킹 가입"), default=True)
    # The optional term of the certificate wizard; None: not agreed (or withdrawn).
    marketing_consent_at = models.DateTimeField(_("마케팅 정보 수신 동의 일시"), null=True, blank=True)
    created_at = models.DateTimeField(_("등록일시"), auto_now_add=True)
    updated_at = models.DateTimeField(_("수정일시"), auto_now=True)

    class Meta:
        verbose_name = _("고객")
        verbose_name_plural = _("고객")
        ordering = ["user_id"]

    def __str__(self):
        # Shown wherever a customer is referred to (admin links, audit rows): masked like the rest.
        return f"{self.user_id} ({mask_name(self.name)})"

    # Resident number: written through set_resident_number, read through resident_number.
    def set_resident_number(self, value: str) -> None:
        parsed = parse_resident_number(value)
        self.resident_number_encrypted = crypto.encrypt(parsed.digits, purpose=RRN_PURPOSE)
        self.resident_number_hash = resident_number_hash(parsed.digits)
        if self.birth_date is None:
            self.birth_date = parsed.birth_date

    @property
    def resident_number(self) -> str:
        return crypto.decrypt(self.resident_number_encrypted, purpose=RRN_PURPOSE)

    @property
    def masked_resident_number(self) -> str:
        if not self.resident_number_encrypted:
            return ""
        try:
            return mask_resident_number(self.resident_number)
        except crypto.DecryptionError:
            return "******-*******"

    @property
    def phone_display(self) -> str:
        return format_phone(self.phone)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    @property
    def masked_email(self) -> str:
        return mask_email(self.email)

    def clean(self):
        errors = {}
        if self.phone:
            try:
                self.phone = normalize_phone(self.phone)
            except ValidationError as exc:
                errors["phone"] = exc
        if not self.resident_number_encrypted:
            errors.setdefault("birth_date", []).append(
                ValidationError(_("주민등록번호가 설정되지 않았습니다."), code="missing_rrn")
            )
        elif self.birth_date:
            born = parse_resident_number(self.resident_number).birth_date
            if born != self.birth_date:
                errors["birth_date"] = ValidationError(
                    _("생년월일이 주민등록번호와 일치하지 않습니다."), code="birth_date_mismatch"
                )
        if errors:
            raise ValidationError(errors)


def resident_number_hash(digits: str) -> str:
    return crypto.lookup_hash(digits, purpose=RRN_PURPOSE)


class FailureCounter(models.Model):
    """Failed attempts in a fixed window, per scope and key (e.g. lookup by IP / by user ID).

    Keys are hashed so a client IP or a typed user ID is not kept in the clear longer than needed.
    """

    scope = models.CharField(max_length=32)
    key_hash = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_hash"], name="failurecounter_unique_key")
        ]

    def __str__(self):
        return f"{self.scope}:{self.key_hash[:8]} = {self.count}"
