"""graph.fetch_media against the Graph API stand-in: the file, and the size limit whether
the lookup declares the size or not."""

import pytest

from antrean.whatsapp import graph


@pytest.fixture
def api(graph):  # the WhatsApp tests' Graph API stand-in (`graph` names the module here)
    return graph


def test_the_file_and_its_type(api):
    media_id = api.add_media(b"\xff\xd8jpeg bytes" * 100, "image/jpeg")
    assert graph.fetch_media(media_id, 10_000) == (b"\xff\xd8jpeg bytes" * 100, "image/jpeg")


def test_a_file_declared_over_the_limit_is_not_downloaded(api):
    media_id = api.add_media(b"x" * 5000, "image/jpeg")
    with pytest.raises(graph.GraphError) as refused:
        graph.fetch_media(media_id, 4999)
    assert (refused.value.title, refused.value.retryable) == ("file too large", False)
    assert not [r for r in api.requests if r["path"].startswith("/files/")]


def test_a_file_over_the_limit_stops_the_download_when_its_size_was_not_declared(api):
    api.declare_sizes = False
    media_id = api.add_media(b"y" * 300_000, "image/png")
    with pytest.raises(graph.GraphError) as refused:
        graph.fetch_media(media_id, 100_000)
    assert (refused.value.title, refused.value.retryable) == ("file too large", False)
    assert graph.fetch_media(media_id, 300_000) == (b"y" * 300_000, "image/png")
