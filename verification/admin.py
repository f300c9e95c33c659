"""Challenges and the handset outbox in Django admin: read-only, and nothing secret shown."""

from contextlib import suppress

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.masking import mask_phone
from accounts.phone import normalize_phone
from certcenter.admin import (
    ClearActionMixin,
    ReadOnlyAdminMixin,
    StaffChangeListMixin,
    is_officer,
)
from certcenter.clock import today
from verification.models import Challenge, DailyFailureCount, FraudReport, HandsetMessage
from verification.purposes import purpose_label
from verification.services import daily_failures_clear, fraud_reports_clear


class ReadOnlyAdmin(StaffChangeListMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False
    list_per_page = 50
    search_fields = ["phone"]  # shows the search box; get_search_results decides what matches
    customer_lookup = "customer"  # the path to the customer a row belongs to

    @admin.display(description=_("휴대폰 번호"))
    def masked_phone_display(self, obj):
        return mask_phone(obj.phone)

    def get_search_help_text(self, request):
        if is_officer(request):
            return _("인터넷뱅킹 아이디 또는 휴대폰 번호 전체로 검색 (010-XXXX-XXXX)")
        return _("인터넷뱅킹 아이디로 검색 (정확히 일치)")

    def get_search_results(self, request, queryset, search_term):
        # Whole values only (the phone is shown masked, so no prefix may confirm its digits), and
        # the phone only for officers: a reviewer would otherwise confirm a guessed number.
        term = search_term.strip()
        if not term:
            return queryset, False
        condition = Q(**{f"{self.customer_lookup}__user_id": term.lower()})
        if is_officer(request):
            with suppress(ValidationError):
                condition |= Q(phone=normalize_phone(term))
        return queryset.filter(condition), False


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at", "channel", "masked_phone_display", "purpose", "status", "attempts",
        "max_attempts", "expires_at",
    ]
    list_filter = ["channel", "status", "purpose"]
    date_hierarchy = "created_at"
    # The code HMAC, the flow id and the raw phone stay out of the page.
    fields = [
        "id", "channel", "masked_phone_display", "purpose", "customer", "status", "attempts",
        "max_attempts", "created_at", "expires_at", "verified_at",
    ]
    readonly_fields = fields
    list_select_related = False
    raw_id_fields = ["customer"]


@admin.register(HandsetMessage)
class HandsetMessageAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "masked_phone_display", "challenge"]
    list_filter = ["kind"]
    customer_lookup = "challenge__customer"
    # The body (which carries a code) is not shown here: the simulated handset shows it.
    fields = ["kind", "masked_phone_display", "challenge", "created_at"]
    readonly_fields = fields
    list_select_related = ["challenge"]


@admin.register(DailyFailureCount)
class DailyFailureCountAdmin(ClearActionMixin, StaffChangeListMixin, ReadOnlyAdminMixin,
                             admin.ModelAdmin):
    """Customers stopped for the day by ``VERIFICATION_DAILY_MAX_FAILURES``; officers may clear it
    (for a customer who called and proved who they are), reviewers only look."""

    list_display = ["customer", "day", "failures", "capped"]
    list_select_related = ["customer"]
    search_fields = ["=customer__user_id"]
    search_help_text = _("인터넷뱅킹 아이디로 검색 (정확히 일치)")
    ordering = ["-day", "-failures"]
    fields = list_display
    readonly_fields = list_display
    actions = ["clear_selected"]
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description=_("오늘 인증 제한"), boolean=True)
    def capped(self, obj):
        cap = settings.VERIFICATION_DAILY_MAX_FAILURES
        return bool(cap) and obj.day == today() and obj.failures >= cap

    def has_clear_permission(self, request):
        return request.user.has_perm("verification.clear_dailyfailurecount")

    @admin.action(description=_("선택한 고객의 하루 인증 오류 제한 해제"), permissions=["clear"])
    def clear_selected(self, request, queryset):
        rows = list(queryset)
        cleared = daily_failures_clear(customer_ids=[row.pk for row in rows])
        for row in rows:
            self.log_change(request, row, "하루 인증 오류 제한 해제")
        self.message_user(request, _("%(n)d명의 하루 인증 오류 제한을 해제했습니다.") % {"n": cleared})


# --- fraud reports ("본인이 요청하지 않음") -------------------------------------------------------


@admin.register(FraudReport)
class FraudReportAdmin(ClearActionMixin, ReadOnlyAdmin):
    """Reports from the handset. Officers clear one once the customer called the bank and it was
    their own request after all (the block lifts at once); reviewers only look."""

    list_display = [
        "reported_at", "source", "masked_phone_display", "customer", "purpose_display", "status",
        "blocked_until", "cleared_at", "cleared_by",
    ]
    list_filter = ["status", "source"]
    date_hierarchy = "reported_at"
    fields = [
        "reported_at", "source", "masked_phone_display", "customer", "challenge", "purpose_display",
        "client_ip", "status", "blocked_until", "cleared_at", "cleared_by",
    ]
    readonly_fields = fields
    list_select_related = ["customer", "cleared_by"]
    raw_id_fields = ["customer"]
    actions = ["clear_selected"]

    def has_clear_permission(self, request):
        return is_officer(request)

    @admin.display(description=_("용도"))
    def purpose_display(self, obj):
        return f"{purpose_label(obj.purpose)} ({obj.purpose})" if obj.purpose else "-"

    @admin.action(description=_("선택한 신고 해제 (발급 제한 해제)"), permissions=["clear"])
    def clear_selected(self, request, queryset):
        rows = list(queryset.filter(status=FraudReport.Status.OPEN))
        cleared = fraud_reports_clear(report_ids=[row.pk for row in rows], cleared_by=request.user)
        for row in rows:
            self.log_change(request, row, "본인 요청 아님 신고 해제")
        self.message_user(request, _("%(n)d건의 신고를 해제했습니다.") % {"n": cleared})
