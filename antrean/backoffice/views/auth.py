"""Signing in and out, and headquarters' choice of office."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from antrean.backoffice.access import OFFICE_KEY, staff_only
from antrean.backoffice.roles import Can
from antrean.offices.models import Office


class Login(auth_views.LoginView):
    template_name = "backoffice/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        cooloff = settings.AXES_COOLOFF_TIME
        return super().get_context_data(**kwargs) | {
            "attempts": settings.AXES_FAILURE_LIMIT,
            "cooloff": int(cooloff.total_seconds() // 60),
        }


login = Login.as_view()
logout = auth_views.LogoutView.as_view(next_page="backoffice:login")


def locked_out(request, credentials=None, *args, **kwargs):
    """What django-axes answers once an account or address is locked."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "backoffice/locked.html", {"cooloff_minutes": minutes}, status=429)


@staff_only(Can.ALL_OFFICES)
@require_POST
def switch_office(request):
    office = Office.objects.filter(pk=request.POST.get("office")).first()
    if office is None:
        messages.error(request, "Kantor tidak ditemukan; pilih dari daftar.")
    else:
        request.session[OFFICE_KEY] = office.pk
        messages.success(request, f"Sekarang bekerja untuk {office.name}.")
    return redirect("backoffice:today")
