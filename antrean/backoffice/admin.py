from django.contrib import admin

from antrean.backoffice.models import AuditEntry, Staff


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "office"]
    list_filter = ["role", "office"]
    search_fields = ["user__username"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read only: the audit log is append-only, in the admin too."""

    list_display = ["at", "username", "role", "office", "action", "booking_code", "target"]
    list_filter = ["action", "office"]
    search_fields = ["username", "booking_code", "target"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
