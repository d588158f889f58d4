"""What officers see of the WhatsApp channel: delivery problems with Meta's error codes,
and messages we could not process. Read-only; contents are not shown here."""

from django.contrib import admin

from antrean.whatsapp.models import InboundMessage, OutboundMessage


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(OutboundMessage)
class OutboundMessageAdmin(ReadOnly):
    list_display = [
        "created_at",
        "office",
        "recipient",
        "kind",
        "state",
        "wa_status",
        "attempts",
        "error_code",
        "error_title",
    ]
    list_filter = ["state", "wa_status", "error_code", "contact__number__office"]
    search_fields = ["contact__wa_id", "wamid"]
    date_hierarchy = "created_at"
    fields = [
        "created_at",
        "kind",
        "state",
        "attempts",
        "not_before",
        "sent_at",
        "wamid",
        "wa_status",
        "wa_status_at",
        "error_code",
        "error_title",
        "error_detail",
        "give_up_at",
    ]

    @admin.display(description="kantor")
    def office(self, row):
        return row.contact.number.office

    @admin.display(description="kepada")
    def recipient(self, row):
        return row.contact.wa_id

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contact__number__office")


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnly):
    list_display = ["received_at", "sender", "kind", "state", "attempts", "error"]
    list_filter = ["state", "kind"]
    search_fields = ["contact__wa_id", "wamid"]
    fields = [
        "received_at",
        "sent_at",
        "wamid",
        "kind",
        "state",
        "attempts",
        "processed_at",
        "error",
    ]

    @admin.display(description="pengirim")
    def sender(self, row):
        return row.contact.wa_id
