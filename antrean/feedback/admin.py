from django.contrib import admin

from antrean.feedback.models import Ticket


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    list_display = ["number", "created_at", "office", "kind", "state", "phone"]
    list_filter = ["state", "kind", "office"]
    search_fields = ["number", "phone"]
    fields = ["number", "created_at", "office", "phone", "kind", "text", "state"]
    readonly_fields = ["number", "created_at", "office", "phone", "kind", "text"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
