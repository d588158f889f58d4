from django.contrib import admin

from antrean.release.models import Release


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    """Releases are planned by the job; officers read them here, they do not edit them:
    a changed window or seed would break the published commitment."""

    list_display = ["office", "first_day", "last_day", "opens_at", "closes_at", "entries"]
    list_filter = ["office"]
    fields = [*list_display, "seed_hash", "drawn_at", "allocated_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
