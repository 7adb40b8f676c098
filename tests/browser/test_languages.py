"""English and Vietnamese in a real Chromium: a browser asking for Vietnamese gets the sign-up, analyse,
result, history, statistics and live pages with no English left (the English page's own words are
the list to look for), scripts' texts included; a phone-sized page in Vietnamese still fits; the
footer switcher changes the language without JavaScript; a signed-in user's saved language wins
over the browser's.

Data is written through the ORM (no model runs); one live server for the module.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import User
from analysis.core.choices import detector_names, model_names
from tests.analysis_factories import days_ago, make_analysis
from tests.browser.measure import VIEWPORTS, problems_of

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

WORD = re.compile(r"[^\W\d_]{2,}")  # whole words, diacritics included
# Words both languages write the same way: the brand, formats, units, and words Vietnamese borrows.
SHARED_WORDS = {
    "FER", "API", "CSV", "JSON", "JPEG", "PNG", "WebP", "MB", "px", "ms", "MP4", "WebM", "MOV", "PublicTest",
    "Email", "email", "video", "Video", "webcam", "camera", "megapixel", "JavaScript", "laptop", "script",
    "English", "Tiếng", "Việt",  # the switcher names each language in itself
    "so", "do",  # Vietnamese words too: "so sánh" (compare), "do" (by)
}
PAGES = {"sign-up": "/accounts/signup/", "analyse": "/analyze/", "history": "/history/",
         "statistics": "/statistics/", "live": "/live/"}


def _data_words(*texts: str) -> set[str]:
    """Words that are data, not interface: file names, the username, model and detector names."""
    return {w for text in texts for w in WORD.findall(text)}


@pytest.fixture
def site(live_server, make_user):
    user = make_user(username="margaret")
    result = make_analysis(user, name="garden.jpg", faces=[("happy", 0.91), ("surprise", 0.62)], model="fast",
                           created_at=days_ago(1))
    make_analysis(user, name="empty-room.jpg", created_at=days_ago(2))
    client = Client()
    client.force_login(user)
    data = _data_words("garden jpg empty room margaret", " ".join(model_names()), " ".join(detector_names()),
                       "VGG16 ResNet50")  # architectures' names, the same in every language
    return {"url": live_server.url, "user": user, "result": result, "data": data,
            "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value}


def _context(browser, site, *, language: str, signed_in: bool, viewport: dict | None = None):
    locale = {"vi": "vi-VN", "en": "en-GB"}[language]
    context = browser.new_context(viewport=viewport or VIEWPORTS["laptop"], locale=locale,
                                  extra_http_headers={"Accept-Language": f"{language},{locale};q=0.9"})
    if signed_in:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": site["cookie"], "url": site["url"]}])
    return context


def _visible_words(page) -> set[str]:
    text = page.inner_text("body") + " " + page.title()
    text += " " + " ".join(page.eval_on_selector_all("[aria-label], [placeholder]", "els => els.map("
                                                     "e => (e.getAttribute('aria-label') || '') + ' ' + "
                                                     "(e.getAttribute('placeholder') || ''))"))
    return set(WORD.findall(unicodedata.normalize("NFC", text)))


def _open(context, url: str):
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page


def _path(site, name: str) -> str:
    return f"/analyses/{site['result'].id}/" if name == "result" else PAGES[name]


@pytest.mark.parametrize("name", ["sign-up", "analyse", "result", "history", "statistics", "live"])
def test_vietnamese_pages_have_no_english_left(browser, site, name):
    signed_in = name != "sign-up"
    english = _context(browser, site, language="en", signed_in=signed_in)
    vietnamese = _context(browser, site, language="vi", signed_in=signed_in)
    try:
        en_page = _open(english, site["url"] + _path(site, name))
        assert en_page.get_attribute("html", "lang") == "en"
        english_words = _visible_words(en_page) - SHARED_WORDS - site["data"]
        assert len(english_words) > 15  # the comparison has something to compare

        vi_page = _open(vietnamese, site["url"] + _path(site, name))
        assert vi_page.get_attribute("html", "lang") == "vi"
        left = _visible_words(vi_page) & english_words
        assert left == set(), f"English left on the Vietnamese {name} page: {sorted(left)}"
        assert vi_page.evaluate("gettext('Connecting…')") == "Đang kết nối…"  # the scripts' catalogue
    finally:
        english.close()
        vietnamese.close()


def test_the_upload_script_refuses_in_vietnamese(browser, site, tmp_path):
    not_a_photo = tmp_path / "notes.txt"
    not_a_photo.write_text("hello")
    context = _context(browser, site, language="vi", signed_in=True)
    try:
        page = _open(context, site["url"] + "/analyze/")
        page.set_input_files("#images", str(not_a_photo))
        assert "Đây không phải là ảnh" in page.inner_text("#picked")
        page.click("#upload-button")
        assert "Không tệp nào đã chọn phân tích được" in page.inner_text("#upload-message")
    finally:
        context.close()


def test_a_vietnamese_page_fits_a_phone(browser, site):
    context = _context(browser, site, language="vi", signed_in=True, viewport=VIEWPORTS["phone"])
    try:
        for path in ("/analyze/", "/history/", "/statistics/", "/live/"):
            page = _open(context, site["url"] + path)
            assert page.get_attribute("html", "lang") == "vi"
            assert problems_of(page) == [], path
            switcher = page.locator(".language-switcher").bounding_box()
            assert switcher["x"] >= 0 and switcher["x"] + switcher["width"] <= VIEWPORTS["phone"]["width"]
            page.close()
    finally:
        context.close()


def test_the_footer_switcher_changes_the_language_without_javascript(browser, site):
    context = browser.new_context(viewport=VIEWPORTS["phone"], java_script_enabled=False,
                                  extra_http_headers={"Accept-Language": "en"})
    try:
        page = _open(context, site["url"] + "/accounts/signup/")
        assert page.get_attribute("html", "lang") == "en"
        page.select_option("#language-select", "vi")
        page.click(".language-switcher button")
        page.wait_for_load_state()
        assert page.url.endswith("/accounts/signup/")  # back where it was
        assert page.get_attribute("html", "lang") == "vi"
        assert page.inner_text("h1") == "Tạo tài khoản"
        page.goto(site["url"] + "/accounts/login/")  # the choice is remembered (cookie) over Accept-Language
        assert page.get_attribute("html", "lang") == "vi"
    finally:
        context.close()


def test_a_signed_in_users_language_wins_and_the_switcher_saves_it(browser, site):
    User.objects.filter(pk=site["user"].pk).update(language="vi")
    context = _context(browser, site, language="en", signed_in=True)
    try:
        page = _open(context, site["url"] + "/history/")
        assert page.get_attribute("html", "lang") == "vi"  # the preference, not the browser's English
        assert page.inner_text("h1") == "Lịch sử"

        page.select_option("#language-select", "en")
        page.click(".language-switcher button")
        page.wait_for_load_state()
        assert page.get_attribute("html", "lang") == "en"
        assert User.objects.get(pk=site["user"].pk).language == "en"  # saved for every device

        page.goto(site["url"] + "/accounts/profile/")
        assert page.input_value("#id_language") == "en"
    finally:
        context.close()
