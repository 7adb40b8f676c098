"""The scripts' texts (Django's JavaScript catalogue), cached by browsers for good.

Every page loads the catalogue. At `/i18n/js/` it depended on the visitor's cookie and was built and sent
again for each page. Here its URL names the language and a version of the compiled catalogues, so the
answer depends on the URL alone and may be kept a year: a deploy with changed translations has a new
version, hence a new URL. A URL with a stale version (a page cached across a deploy) is still answered, in
the named language, but not cached.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

from django.conf import settings
from django.http import Http404
from django.utils import translation
from django.utils.cache import patch_cache_control
from django.views.i18n import JavaScriptCatalog

YEAR = 365 * 24 * 3600


@lru_cache(maxsize=1)
def catalog_version() -> str:
    """A short digest of every compiled catalogue (`.mo`) under LOCALE_PATHS."""
    digest = hashlib.blake2b(digest_size=6)
    for root in settings.LOCALE_PATHS:
        for mo in sorted(root.glob("*/LC_MESSAGES/*.mo")):
            digest.update(str(mo.relative_to(root)).encode() + mo.read_bytes())
    return digest.hexdigest()


class VersionedCatalog(JavaScriptCatalog):
    def get(self, request, *args, **kwargs):
        language, version = kwargs.pop("language"), kwargs.pop("version")
        if language not in dict(settings.LANGUAGES):
            raise Http404()  # a language the site does not offer
        with translation.override(language):
            response = super().get(request, *args, **kwargs)
        response["Content-Language"] = language
        if version == catalog_version():
            patch_cache_control(response, public=True, max_age=YEAR, immutable=True)
        else:
            patch_cache_control(response, no_cache=True)
        return response


def catalog_url(request) -> dict[str, str]:
    """Context processor: `js_catalog_url`, the catalogue of the page's language at its current version."""
    from django.urls import reverse

    language = translation.get_language() or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    return {"js_catalog_url": reverse("javascript_catalog", args=[language, catalog_version()])}
