"""Outbound messages: Meta's limits enforced in one place; stored and sent shapes."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antrean.whatsapp import messages as m


def test_text_limits():
    m.Text("x" * 4096)
    with pytest.raises(m.InvalidMessage, match="limit is 4096"):
        m.Text("x" * 4097)
    with pytest.raises(m.InvalidMessage, match="empty"):
        m.Text("   ")


def test_buttons_limits():
    ok = m.Button("a", "x" * 20)
    m.Buttons("body", (ok,))
    with pytest.raises(m.InvalidMessage, match="limit is 20"):
        m.Button("a", "x" * 21)
    with pytest.raises(m.InvalidMessage, match="1 to 3"):
        m.Buttons("body", tuple(m.Button(str(i), str(i)) for i in range(4)))
    with pytest.raises(m.InvalidMessage, match="1 to 3"):
        m.Buttons("body", ())
    with pytest.raises(m.InvalidMessage, match="must differ"):
        m.Buttons("body", (m.Button("a", "x"), m.Button("a", "y")))
    with pytest.raises(m.InvalidMessage, match="limit is 1024"):
        m.Buttons("x" * 1025, (ok,))
    with pytest.raises(m.InvalidMessage, match="limit is 60"):
        m.Buttons("body", (ok,), header="x" * 61)


def test_list_limits():
    rows = tuple(m.Row(f"r{i}", f"Row {i}") for i in range(10))
    m.Choices("body", "Pilih", (m.Section("A", rows),))
    with pytest.raises(m.InvalidMessage, match="1 to 10"):
        m.Choices("body", "Pilih", (m.Section("A", rows), m.Section("B", (m.Row("z", "z"),))))
    with pytest.raises(m.InvalidMessage, match="limit is 24"):
        m.Row("id", "x" * 25)
    with pytest.raises(m.InvalidMessage, match="limit is 72"):
        m.Row("id", "t", "x" * 73)
    with pytest.raises(m.InvalidMessage, match="limit is 20"):
        m.Choices("body", "x" * 21, (m.Section("", rows[:1]),))
    with pytest.raises(m.InvalidMessage, match="each needs a title"):
        m.Choices("body", "Pilih", (m.Section("", rows[:1]), m.Section("B", rows[1:2])))
    with pytest.raises(m.InvalidMessage, match="must differ"):
        m.Choices("body", "Pilih", (m.Section("", (m.Row("a", "1"), m.Row("a", "2"))),))


def test_template_parameters_follow_meta_rules():
    m.Template("antrean_pengingat", "id", ("Budi", "Selasa, 10 Agustus 2027"))
    for bad in ["dua\nbaris", "tab\there", "lima     spasi"]:
        with pytest.raises(m.InvalidMessage, match="new lines"):
            m.Template("antrean_pengingat", "id", (bad,))


def test_cloud_bodies():
    to = "6281234567890"
    assert m.cloud_body(m.Text("Halo"), to) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": "Halo", "preview_url": False},
    }
    buttons = m.cloud_body(
        m.Buttons(
            "Konfirmasi?", (m.Button("confirm:X", "Konfirmasi"), m.Button("cancel:X", "Batal"))
        ),
        to,
        opaque="out:9",
    )
    assert buttons["biz_opaque_callback_data"] == "out:9"
    assert buttons["interactive"]["type"] == "button"
    assert buttons["interactive"]["action"]["buttons"][1] == {
        "type": "reply",
        "reply": {"id": "cancel:X", "title": "Batal"},
    }
    listing = m.cloud_body(
        m.Choices(
            "Menu", "Pilih", (m.Section("Layanan", (m.Row("a", "A", "desc"),)),), footer="SIGAP"
        ),
        to,
    )
    assert listing["interactive"]["action"]["sections"] == [
        {"title": "Layanan", "rows": [{"id": "a", "title": "A", "description": "desc"}]}
    ]
    assert listing["interactive"]["footer"] == {"text": "SIGAP"}
    image = m.cloud_body(m.QrImage("ABCD2345", "Kode"), to, media_id="77")
    assert image["image"] == {"id": "77", "caption": "Kode"}
    with pytest.raises(m.InvalidMessage):
        m.cloud_body(m.QrImage("ABCD2345"), to)
    template = m.cloud_body(m.Template("antrean_pengingat", "id", ("Budi",)), to)
    assert template["template"] == {
        "name": "antrean_pengingat",
        "language": {"code": "id"},
        "components": [{"type": "body", "parameters": [{"type": "text", "text": "Budi"}]}],
    }


titles = st.text(min_size=1, max_size=20).filter(str.strip)


@given(
    st.one_of(
        st.builds(m.Text, st.text(min_size=1, max_size=50).filter(str.strip)),
        st.builds(
            m.Buttons,
            st.text(min_size=1, max_size=50).filter(str.strip),
            st.lists(titles, min_size=1, max_size=3, unique=True).map(
                lambda ts: tuple(m.Button(f"b{i}", t) for i, t in enumerate(ts))
            ),
        ),
        st.builds(m.QrImage, st.from_regex(r"[A-Z2-9]{8}", fullmatch=True)),
        st.builds(
            m.Template,
            st.just("antrean_pengingat"),
            st.just("id"),
            st.lists(
                st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9 ]{0,9}", fullmatch=True), max_size=3
            ).map(tuple),
        ),
        st.builds(
            m.Choices,
            st.just("Menu"),
            st.just("Pilih"),
            st.lists(
                st.text(min_size=1, max_size=24).filter(str.strip), min_size=1, max_size=10
            ).map(lambda ts: (m.Section("", tuple(m.Row(f"r{i}", t) for i, t in enumerate(ts))),)),
        ),
    )
)
def test_stored_messages_come_back_equal(message):
    assert m.from_json(m.to_json(message)) == message
