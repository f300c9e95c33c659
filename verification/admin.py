"""Challenges and the handset outbox in Django admin: read-only, and nothing secret shown."""

from contextlib import suppress

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.masking import mask_phone
from accounts.phone import normalize_phone
from certcenter.admin import ReadOnlyAdminMixin, StaffChangeListMixin, is_officer
from verification.models import Challenge, HandsetMessage


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
