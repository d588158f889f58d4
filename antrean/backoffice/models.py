from django.conf import settings
from django.db import models
from django.db.models import Q

from antrean.backoffice.roles import Role
from antrean.offices.models import Office

ROLE_CHOICES = [
    (Role.HQ.value, "admin pusat"),
    (Role.SUPERVISOR.value, "supervisor kantor"),
    (Role.OFFICER.value, "petugas loket"),
]


class Staff(models.Model):
    """A back-office account's role and office. A user without one sees nothing."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    role = models.CharField("peran", max_length=12, choices=ROLE_CHOICES)
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name="kantor",
        help_text="Kosong hanya untuk admin pusat.",
    )

    class Meta:
        verbose_name = "petugas"
        verbose_name_plural = "petugas"
        constraints = [
            # Headquarters has no office of its own; everybody else has exactly one.
            models.CheckConstraint(
                condition=(Q(role=Role.HQ) & Q(office__isnull=True))
                | (~Q(role=Role.HQ) & Q(office__isnull=False)),
                name="staff_office_matches_role",
            ),
            models.CheckConstraint(
                condition=Q(role__in=[r.value for r in Role]), name="staff_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class AppendOnly(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")


class AuditEntry(models.Model):
    """Who did what, when, to which booking or ticket. Written once, never changed.

    `detail` carries codes, numbers and choices, never personal data.
    """

    at = models.DateTimeField("waktu", db_index=True)
    username = models.CharField("petugas", max_length=150)
    role = models.CharField("peran", max_length=12)
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField("tindakan", max_length=40)
    booking_code = models.CharField("kode booking", max_length=8, blank=True, db_index=True)
    target = models.CharField("objek", max_length=80, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    objects = AppendOnly.as_manager()

    class Meta:
        verbose_name = "log audit"
        verbose_name_plural = "log audit"
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["office", "at"], name="audit_office_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")
