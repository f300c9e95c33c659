"""Admin pieces shared by the apps: read-only records, changelists that filter only as declared."""

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.core.exceptions import PermissionDenied

# Staff roles (the groups come from certificates' data migration): reviewers (인증서 검토자) only
# look; officers (인증서 관리자) hold this permission, revoke, and act on a customer's own request,
# so they may also find a customer by name or phone and take the full certificate. Superusers
# hold every permission.
OFFICER_PERMISSION = "certificates.revoke_certificate"

# Django's own changelist parameters that are not lookups. q, p, o, e, all, _popup, _to_field and
# _facets never reach lookup_allowed; _changelist_filters would, and filters nothing.
_NOT_A_LOOKUP = frozenset({"_changelist_filters"})


def is_officer(request) -> bool:
    return request.user.has_perm(OFFICER_PERMISSION)


class ReadOnlyAdminMixin:
    """Staff may look, never add, edit or delete (records of what happened, not data to edit)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def declared_filter_parameters(model_admin, request) -> set[str]:
    """The query parameters that the admin's list filters and date hierarchy read, and no others."""
    model = model_admin.model
    parameters = set()
    for list_filter in model_admin.get_list_filter(request):
        # Built as ChangeList.get_filters builds them, from no parameters: only their names count.
        if callable(list_filter):
            spec = list_filter(request, {}, model, model_admin)
        else:
            if isinstance(list_filter, (tuple, list)):
                field_path, filter_class = list_filter
            else:
                field_path, filter_class = list_filter, admin.FieldListFilter.create
            field = get_fields_from_path(model, field_path)[-1]
            spec = filter_class(field, request, {}, model, model_admin, field_path=field_path)
        parameters.update(spec.expected_parameters())
    if model_admin.date_hierarchy:
        parameters.update(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return parameters


class StaffChangeListMixin:
    """Every ModelAdmin of the project: its changelist is narrowed only by what it declares.

    Django accepts any lookup on a local field in the URL (``?phone__startswith=+8210123``), which
    confirms a masked digit one request at a time. Here only the declared list filters' (and date
    hierarchy's) parameters pass; anything else is a DisallowedModelAdminLookup, answered with 400.
    Search is each admin's own ``get_search_results``, and its help text may depend on who asks.
    """

    def lookup_allowed(self, lookup, value, request):
        return lookup in _NOT_A_LOOKUP or lookup in declared_filter_parameters(self, request)

    def get_search_help_text(self, request):
        return self.search_help_text

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        changelist.search_help_text = self.get_search_help_text(request)
        return changelist


class ClearActionMixin:
    """For an admin whose ``clear_selected`` action needs ``has_clear_permission``: a reviewer is
    not offered it, and posting it anyway is refused (403), not silently ignored."""

    def changelist_view(self, request, extra_context=None):
        if request.POST.get("action") == "clear_selected" and not self.has_clear_permission(request):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)
