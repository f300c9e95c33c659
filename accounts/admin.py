"""Customers in Django admin: personal data masked, the resident number typed once and sealed."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import CustomerAdminForm
from accounts.masking import mask_name
from accounts.models import Customer
from accounts.phone import normalize_phone


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = [
        "user_id", "name", "masked_resident_number_display", "masked_phone_display", "kind",
        "internet_banking_enrolled", "created_at",
    ]
    list_filter = ["kind", "internet_banking_enrolled"]
    search_fields = ["user_id", "name"]
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

    def get_search_results(self, request, queryset, search_term):
        filtered = queryset  # already narrowed by the list filters
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            phone = normalize_phone(search_term)
        except ValidationError:
            return queryset, may_have_duplicates
        # A phone typed in any form (010-1234-5678, 01012345678, +82…) finds its E.164 value.
        return queryset | filtered.filter(phone=phone), may_have_duplicates
