from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password

from antrean.backoffice.models import ROLE_CHOICES
from antrean.content import catalog
from antrean.offices.models import Closure, Counter, Office, OfficeText

TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class CapacityForm(forms.ModelForm):
    class Meta:
        model = Office
        fields = [
            "capacity_per_hour",
            "daily_regular",
            "daily_percepatan",
            "daily_priority",
            "opens_at",
            "closes_at",
            "registration_opens_at",
            "registration_closes_at",
        ]
        widgets = {
            "opens_at": TIME,
            "closes_at": TIME,
            "registration_opens_at": TIME,
            "registration_closes_at": TIME,
        }


class _OfficeOwned(forms.ModelForm):
    """A row of the officer's own office; a clash with the office's unique constraint is
    told in the words of `taken` on the field `taken_field`."""

    taken_field = taken = ""

    def __init__(self, *args, office: Office, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.office = office

    def validate_unique(self):
        try:
            self.instance.validate_constraints()
        except forms.ValidationError:
            self.add_error(self.taken_field, self.taken)


class ClosureForm(_OfficeOwned):
    taken_field, taken = "day", "Kantor ini sudah tutup pada tanggal tersebut."

    class Meta:
        model = Closure
        fields = ["day", "name_id", "name_en"]
        widgets = {"day": forms.DateInput(attrs={"type": "date"})}


class CounterForm(_OfficeOwned):
    taken_field, taken = "number", "Nomor loket ini sudah ada di kantor ini."

    class Meta:
        model = Counter
        fields = ["number", "services"]
        widgets = {"services": forms.CheckboxSelectMultiple}


class TextForm(forms.ModelForm):
    key = forms.ChoiceField(label="Teks", choices=())

    class Meta:
        model = OfficeText
        fields = ["key", "text_id", "text_en"]

    def __init__(self, *args, office: Office, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.office = office
        self.fields["key"].choices = [(key, key) for key in sorted(catalog())]

    def validate_unique(self):
        pass  # an existing text for the key is updated instead (see the view)


class StaffForm(forms.Form):
    username = forms.RegexField(
        label="Nama pengguna",
        regex=r"^[a-z0-9_.-]{3,40}$",
        error_messages={
            "invalid": "Gunakan 3–40 huruf kecil, angka, titik, garis bawah atau tanda hubung."
        },
    )
    full_name = forms.CharField(label="Nama lengkap", max_length=150)
    role = forms.ChoiceField(label="Peran", choices=ROLE_CHOICES)
    office = forms.ModelChoiceField(label="Kantor", queryset=Office.objects.none(), required=False)
    password = forms.CharField(label="Kata sandi awal", widget=forms.PasswordInput, min_length=10)

    def __init__(self, *args, roles, offices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [c for c in ROLE_CHOICES if c[0] in roles]
        self.fields["office"].queryset = offices

    def clean_username(self):
        name = self.cleaned_data["username"]
        if get_user_model().objects.filter(username=name).exists():
            raise forms.ValidationError("Nama pengguna ini sudah dipakai. Pilih nama lain.")
        return name

    def clean(self):
        data = super().clean()
        if data.get("password"):
            user = get_user_model()(username=data.get("username", ""))
            try:
                validate_password(data["password"], user)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data
