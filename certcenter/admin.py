"""Admin pieces shared by the apps."""


class ReadOnlyAdminMixin:
    """Staff may look, never add, edit or delete (records of what happened, not data to edit)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
