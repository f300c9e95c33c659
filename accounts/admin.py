"""Customers in Django admin: personal data masked, the resident number typed once and sealed."""

from contextlib import suppress

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.forms import CustomerAdminForm
from accounts.masking import mask_name
from accounts.models import Customer
from accounts.phone import normalize_phone
from certcenter.admin import StaffChangeListMixin, is_officer


@admin.register(Customer)
class CustomerAdmin(StaffChangeListMixin, admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = [
        "user_id", "name", "masked_resident_number_display", "masked_phone_display", "kind",
        "internet_banking_enrolled", "created_at",
    ]
    list_filter = ["kind", "internet_banking_enrolled"]
    search_fields = ["=user_id"]  # shows the search box; get_search_results decides what matches
    readonly_fields = ["created_at", "updated_at"]
    show_full_result_count = False
    list_per_page = 50

    # What a view-only user (e.g. a reviewer) sees: the form's fields would show the number and
    # phone in full, so they get the masked displays instead.
    view_only_fields = [
        "user_id", "masked_name_display", "masked_resident_number_display",
        "masked_phone_display", "masked_email_display", "kind", "internet_banking_enrolled",
        "created_at", "updated_at",
    ]

    def get_list_display(self, request):
        if not self.has_change_permission(request):
            return ["user_id", "masked_name_display", *self.list_display[2:]]
        return super().get_list_display(request)

    @admin.display(description=_("이름"))
    def masked_name_display(self, obj):
        return mask_name(obj.name)

    def get_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return self.view_only_fields
        return super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and not self.has_change_permission(request, obj):
            return self.view_only_fields
        return super().get_readonly_fields(request, obj)

    @admin.display(description=_("이메일"))
    def masked_email_display(self, obj):
        return obj.masked_email

    @admin.display(description=_("주민등록번호"))
    def masked_resident_number_display(self, obj):
        return obj.masked_resident_number

    @admin.display(description=_("휴대폰 번호"))
    def masked_phone_display(self, obj):
        return obj.masked_phone

    # Search confirms only whole values, never a prefix or a part: anyone may find a customer by the
    # user ID every list shows in full; officers, who act on a customer's own call, also by the
    # exact name or the full phone number (typed in any form). Nothing else (e-mail, resident
    # number) is searchable.
    def get_search_help_text(self, request):
        if is_officer(request):
            return _("인터넷뱅킹 아이디, 이름 또는 휴대폰 번호 전체로 검색 (정확히 일치)")
        return _("인터넷뱅킹 아이디로 검색 (정확히 일치)")

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(customer_search(term, officer=is_officer(request))), False


def customer_search(term: str, *, officer: bool) -> Q:
    """Which customers an admin search term finds: whole values only, never a part.

    Everyone: the user ID, which every list shows in full. Officers, who act on a customer's own
    call, also the exact name or the full phone number (typed in any form).
    """
    condition = Q(user_id=term.lower())
    if officer:
        condition |= Q(name=term)
        with suppress(ValidationError):
            condition |= Q(phone=normalize_phone(term))
    return condition
