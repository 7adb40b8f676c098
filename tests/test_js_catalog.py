"""The scripts' texts: a catalogue URL per language and version, cacheable for good (fer_site/js_catalog.py)."""

from __future__ import annotations

import json
import re

import pytest

from fer_site.js_catalog import catalog_version

pytestmark = pytest.mark.django_db
CONNECTING_VI = json.dumps("Đang kết nối…")[1:-1]  # as the catalogue writes it (ASCII escapes)


def _catalog_url(html: str) -> str:
    return re.search(r'<script src="(/i18n/js/[^"]+)"', html).group(1)


@pytest.mark.parametrize("language", ["en", "vi"])
def test_pages_load_the_catalogue_of_their_language_at_its_version(client, language):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert _catalog_url(html) == f"/i18n/js/{language}/{catalog_version()}/"


def test_the_catalogue_depends_on_its_url_alone_and_is_kept(client):
    url = f"/i18n/js/vi/{catalog_version()}/"
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")  # the URL's language, not the visitor's
    assert response.status_code == 200 and CONNECTING_VI in response.content.decode()
    cache = response["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    english = client.get(f"/i18n/js/en/{catalog_version()}/").content.decode()
    assert CONNECTING_VI not in english


def test_a_stale_version_is_answered_uncached_and_an_unknown_language_not_at_all(client):
    stale = client.get("/i18n/js/vi/0000/")
    assert stale.status_code == 200 and "no-cache" in stale["Cache-Control"]
    assert CONNECTING_VI in stale.content.decode()
    assert client.get(f"/i18n/js/xx/{catalog_version()}/").status_code == 404


def test_the_version_follows_the_compiled_catalogues(settings, tmp_path):
    (tmp_path / "vi" / "LC_MESSAGES").mkdir(parents=True)
    mo = tmp_path / "vi" / "LC_MESSAGES" / "djangojs.mo"
    mo.write_bytes(b"one")
    settings.LOCALE_PATHS = [tmp_path]
    catalog_version.cache_clear()
    try:
        first = catalog_version()
        mo.write_bytes(b"two")
        catalog_version.cache_clear()
        assert catalog_version() != first
    finally:
        catalog_version.cache_clear()
