"""Bookings are shown, never edited, here: only antrean.booking.actions writes them.

Birth dates, NIKs and addresses are left out; the back office shows them to the officers
of the booking's own office, where they are needed.
"""

from django.contrib import admin

from antrean.booking.models import Booking, BookingEvent


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    list_display = ["code", "office", "visit_date", "slot_at", "queue_number", "status", "name"]
    list_filter = ["status", "office", "channel"]
    search_fields = ["code", "name"]
    date_hierarchy = "visit_date"
    fields = [
        "code",
        "office",
        "service",
        "quota",
        "name",
        "phone",
        "applicants",
        "requested_date",
        "visit_date",
        "slot_at",
        "queue_number",
        "status",
        "channel",
        "confirm_by",
        "reschedules",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields
    inlines = [BookingEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
