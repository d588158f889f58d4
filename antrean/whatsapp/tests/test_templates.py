import pytest

from antrean.whatsapp.messages import Template
from antrean.whatsapp.templates import UnknownTemplate, template


def test_templates_come_from_settings(settings):
    settings.WHATSAPP_TEMPLATES = {"reminder": {"name": "pengingat_v2", "language": "id"}}
    assert template("reminder", "Budi", "Selasa,\n10 Agustus 2027") == Template(
        "pengingat_v2", "id", ("Budi", "Selasa, 10 Agustus 2027")
    )


def test_the_default_purposes_exist():
    for purpose in ("reminder", "passport_ready", "notice"):
        assert template(purpose).name


def test_an_unknown_purpose_names_the_setting(settings):
    with pytest.raises(UnknownTemplate, match="WHATSAPP_TEMPLATES"):
        template("no_such_purpose")
