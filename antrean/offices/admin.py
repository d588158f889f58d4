from django import forms
from django.contrib import admin
from django.utils import timezone

from antrean.booking.actions import sync_capacities
from antrean.booking.lifecycle import LIVE
from antrean.offices.models import (
    ISO_WEEKDAYS,
    Closure,
    Office,
    OfficeText,
    ServiceType,
    WhatsAppNumber,
)

admin.site.site_header = "antrean — administrasi"
admin.site.site_title = "antrean"
admin.site.index_title = "Data referensi kantor imigrasi"

WEEKDAY_CHOICES = list(
    zip(ISO_WEEKDAYS, ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"], strict=True)
)


OFFICE_FIELDSETS = [
    (
        "Kantor",
        {
            "fields": [
                "name",
                "code",
                "office_class",
                "city",
                "province",
                "address",
                "timezone",
                "is_active",
            ]
        },
    ),
    (
        "Jam layanan",
        {
            "fields": [
                "working_days",
                "opens_at",
                "closes_at",
                "registration_opens_at",
                "registration_closes_at",
            ]
        },
    ),
    (
        "Kapasitas",
        {
            "fields": [
                "capacity_per_hour",
                "daily_regular",
                "daily_percepatan",
                "daily_priority",
                "horizon_days",
            ]
        },
    ),
    (
        "Aturan pemesanan",
        {
            "fields": [
                "message_format",
                "confirm_minutes",
                "arrival_lead_minutes",
                "max_reschedules",
                "reschedule_cutoff_days",
            ]
        },
    ),
    (
        "Pelepasan kuota (docs/release.md)",
        {"fields": ["release_mode", "release_time", "release_window_minutes"]},
    ),
]


class OfficeForm(forms.ModelForm):
    working_days = forms.MultipleChoiceField(
        label="Hari kerja", choices=WEEKDAY_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Office
        fields = [field for section in OFFICE_FIELDSETS for field in section[1]["fields"]]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.working_days:
            self.initial["working_days"] = list(self.instance.working_days)

    def clean_working_days(self):
        return "".join(sorted(self.cleaned_data["working_days"]))

    def clean_timezone(self):
        zone = self.cleaned_data["timezone"]
        office = self.instance
        if (
            office.pk
            and zone != office.timezone
            and office.bookings.filter(status__in=list(LIVE)).exists()
        ):
            # Hour counters and appointments are kept in the office's local time.
            raise forms.ValidationError(
                "Zona waktu tidak dapat diubah selama masih ada pemesanan aktif di kantor ini."
            )
        return zone


class WhatsAppNumberInline(admin.TabularInline):
    model = WhatsAppNumber
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0
    fields = ["day", "name_id", "name_en"]


@admin.register(Office)
class OfficeAdmin(admin.ModelAdmin):
    form = OfficeForm
    list_display = ["name", "city", "province", "timezone", "capacity_per_hour", "is_active"]
    list_filter = ["timezone", "office_class", "province", "is_active"]
    search_fields = ["name", "code", "city", "province"]
    prepopulated_fields = {"code": ["city"]}
    inlines = [WhatsAppNumberInline, ClosureInline]
    fieldsets = OFFICE_FIELDSETS

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            # Days already being booked keep counters of their own; bring them in line.
            sync_capacities(office=obj, now=timezone.now())


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = ["day", "name_id", "office"]
    list_filter = ["office"]
    date_hierarchy = "day"
    search_fields = ["name_id", "name_en"]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["name_id", "code", "queue_prefix", "quota", "bookable_remotely", "position"]
    list_editable = ["position"]


class OfficeTextForm(forms.ModelForm):
    key = forms.ChoiceField(label="Teks", choices=())

    class Meta:
        model = OfficeText
        fields = ["office", "key", "text_id", "text_en"]

    def __init__(self, *args, **kwargs):
        from antrean.content import catalog

        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [(key, key) for key in sorted(catalog())]


@admin.register(OfficeText)
class OfficeTextAdmin(admin.ModelAdmin):
    form = OfficeTextForm
    list_display = ["key", "office", "text_id"]
    list_filter = ["office"]
    search_fields = ["key", "text_id", "text_en"]
    readonly_fields = ["default_id", "default_en"]
    fields = ["office", "key", "text_id", "text_en", "default_id", "default_en"]

    @admin.display(description="teks bawaan (Bahasa Indonesia)")
    def default_id(self, obj):
        from antrean.content import catalog

        return catalog().get(obj.key, {}).get("id", "") if obj and obj.key else ""

    @admin.display(description="teks bawaan (English)")
    def default_en(self, obj):
        from antrean.content import catalog

        return catalog().get(obj.key, {}).get("en", "") if obj and obj.key else ""
