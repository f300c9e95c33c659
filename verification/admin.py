"""Challenges and the handset outbox in Django admin: read-only, and nothing secret shown."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.masking import mask_phone
from accounts.phone import normalize_phone
from certcenter.admin import ReadOnlyAdminMixin
from verification.models import Challenge, HandsetMessage


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description=_("휴대폰 번호"))
    def masked_phone_display(self, obj):
        return mask_phone(obj.phone)

    def get_search_results(self, request, queryset, search_term):
        # Search by phone only, exactly: the phone column is not for substring scans.
        if not search_term:
            return queryset, False
        try:
            return queryset.filter(phone=normalize_phone(search_term)), False
        except ValidationError:
            return queryset.none(), False


@admin.register(Challenge)
class ChallengeAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at", "channel", "masked_phone_display", "purpose", "status", "attempts",
        "max_attempts", "expires_at",
    ]
    list_filter = ["channel", "status", "purpose"]
    search_fields = ["phone"]
    search_help_text = _("휴대폰 번호 전체로 검색 (010-XXXX-XXXX)")
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
    search_fields = ["phone"]
    search_help_text = _("휴대폰 번호 전체로 검색 (010-XXXX-XXXX)")
    # The body (which carries a code) is not shown here: the simulated handset shows it.
    fields = ["kind", "masked_phone_display", "challenge", "created_at"]
    readonly_fields = fields
    list_select_related = ["challenge"]
