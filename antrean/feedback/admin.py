from django.contrib import admin

from antrean.feedback.models import SCORE_FIELDS, Survey, Ticket


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


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    """Answers as the applicant gave them: to read, never to change."""

    list_display = ["answered_at", "office", "booking", *SCORE_FIELDS]
    list_filter = ["office"]
    search_fields = ["booking__code"]
    list_select_related = ["office", "booking"]
    fields = ["answered_at", "office", "booking", *SCORE_FIELDS, "comment"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
