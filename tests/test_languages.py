"""Which language a request gets, and what follows it: Accept-Language, the switcher's cookie, a signed-in
user's saved preference (which wins), the profile field, the live socket's language, dates and numbers
in the language's format, translated API error messages, e-mails and stored failure reasons."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation

from accounts.language import language_from_scope
from analysis.core.messages import PHOTO_UNREADABLE_REASON, stored_reason
from analysis.models import emotion_name
from analysis.web.templatetags import day, duration, percent, when
from tests.analysis_factories import make_analysis

HISTORY = reverse("analysis:history")


def _lang(response) -> str:
    return response.content.decode().split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.django_db
def test_accept_language_chooses_the_page_language(client):
    assert _lang(client.get(reverse("landing"), HTTP_ACCEPT_LANGUAGE="vi-VN,vi;q=0.9,en;q=0.5")) == "vi"
    assert _lang(client.get(reverse("landing"), HTTP_ACCEPT_LANGUAGE="fr,en;q=0.5")) == "en"
    assert _lang(client.get(reverse("landing"))) == "en"  # the default


@pytest.mark.django_db
def test_the_switcher_sets_the_cookie_and_goes_back(client):
    response = client.post(reverse("set_language"), {"language": "vi", "next": "/accounts/login/"})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "vi"
    assert _lang(client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")) == "vi"  # the choice over the browser's


@pytest.mark.django_db
def test_a_signed_in_users_preference_wins(client, make_user):
    user = make_user(language="vi")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(HISTORY, HTTP_ACCEPT_LANGUAGE="en")
    assert _lang(response) == "vi" and "Lịch sử" in response.content.decode()
    assert response["Content-Language"] == "vi"


@pytest.mark.django_db
def test_the_switcher_saves_a_signed_in_users_choice(client, make_user):
    user = make_user(language="vi")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": HISTORY})
    user.refresh_from_db()
    assert user.language == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": HISTORY})  # unknown: ignored
    user.refresh_from_db()
    assert user.language == "en"


@pytest.mark.django_db
def test_the_profile_saves_the_language_and_confirms_in_it(client, make_user):
    user = make_user()
    client.force_login(user)
    response = client.post(reverse("accounts:profile"), {"first_name": "", "last_name": "", "email": user.email,
                                                          "language": "vi"}, follow=True)
    user.refresh_from_db()
    assert user.language == "vi"
    assert "Đã lưu hồ sơ." in response.content.decode()
    client.post(reverse("accounts:profile"), {"email": user.email, "language": ""})
    user.refresh_from_db()
    assert user.language == ""  # back to following the browser


@pytest.mark.django_db
def test_the_live_socket_speaks_the_pages_language(make_user):
    user = make_user(language="vi")
    assert language_from_scope({"user": user, "headers": []}) == "vi"
    anonymous_vi = {"headers": [(b"accept-language", b"vi-VN,vi;q=0.9")]}
    assert language_from_scope(anonymous_vi) == "vi"
    cookie = {"headers": [(b"cookie", f"{settings.LANGUAGE_COOKIE_NAME}=en".encode()),
                          (b"accept-language", b"vi")]}
    assert language_from_scope(cookie) == "en"
    assert language_from_scope({"headers": [(b"accept-language", b"de")]}) == "en"


def test_dates_numbers_and_durations_follow_the_language():
    moment = dt.datetime(2026, 12, 3, 14, 5, tzinfo=dt.UTC)
    with translation.override("en"):
        assert (when(moment), day(moment.date()), duration(3.5), percent(0.456)) == (
            "3 Dec 2026, 14:05", "3 Dec 2026", "3.5 s", "46%")
    with translation.override("vi"):
        assert (when(moment), day(moment.date()), duration(3.5), duration(192)) == (
            "14:05, 03/12/2026", "03/12/2026", "3,5 giây", "3 phút 12 giây")


def test_emotion_names_are_translated_and_codes_stay():
    with translation.override("vi"):
        assert [emotion_name(e) for e in ("happy", "sad", "neutral")] == ["Vui vẻ", "Buồn bã", "Trung tính"]
        assert emotion_name("unknown") == "unknown"


def test_stored_reasons_are_translated_when_shown():
    stored = PHOTO_UNREADABLE_REASON % {"detail": "this is not an image file"}
    with translation.override("vi"):
        assert stored_reason(stored) == "Không đọc được ảnh: đây không phải là tệp ảnh."
        assert stored_reason("An internal error stopped the analysis.") == "Một lỗi nội bộ đã làm dừng phân tích."
        assert stored_reason("Something nobody wrote a template for.") == "Something nobody wrote a template for."
    with translation.override("en"):
        assert stored_reason(stored) == "The photo could not be read: this is not an image file."


@pytest.mark.django_db
def test_api_messages_are_translated_and_codes_stay(client, make_user):
    user = make_user()
    client.force_login(user)
    body = client.get("/api/v1/analyses/00000000-0000-0000-0000-000000000000/", HTTP_ACCEPT_LANGUAGE="vi").json()
    assert body["error"]["code"] == "not_found" and body["error"]["message"] == "Không tìm thấy."
    analysis = make_analysis(user, faces=["happy"])
    face = client.get(f"/api/v1/analyses/{analysis.id}/", HTTP_ACCEPT_LANGUAGE="vi").json()["faces"][0]
    assert face["emotion"] == "happy" and "happy" in face["probabilities"]  # machine-readable codes unchanged


@pytest.mark.django_db
def test_the_password_reset_email_is_in_the_requests_language(client, make_user):
    make_user(email="lan@example.com")
    client.post(reverse("accounts:password_reset"), {"email": "lan@example.com"}, HTTP_ACCEPT_LANGUAGE="vi")
    (message,) = mail.outbox
    assert message.subject == "Đặt lại mật khẩu Nền tảng FER của bạn"
    assert message.body.startswith("Chào user") and "Nếu không phải bạn" in message.body


# --- Every page in Vietnamese has none of its English page's words -------------------------------------------

# Words both languages write the same way: the brand, formats, units, words Vietnamese borrows, and the
# switcher's names of the languages.
SHARED_WORDS = {
    "FER", "API", "CSV", "JSON", "JPEG", "PNG", "WebP", "MB", "px", "ms", "MP", "MP4", "WebM", "MOV", "PublicTest",
    "Email", "email", "video", "Video", "webcam", "camera", "megapixel", "JavaScript", "laptop", "script", "DELETE",
    "English", "Tiếng", "Việt", "HTTP", "Token", "YAML", "OpenAPI", "Swagger", "UI", "Redoc", "curl", "Python",
    "GET", "POST", "H", "VP", "AV", "MPEG", "clip",
    "so",  # Vietnamese too: "so sánh" (compare)
}
# The API page names headers, fields and paths, which stay as they are in any language ("do" is also a
# Vietnamese word: "by").
API_TERMS = {"Accept", "After", "Authorization", "CSRF", "Content", "Retry", "Type", "api", "details", "do", "id",
             "image", "images", "key", "min", "models"}


class _Visible(HTMLParser):
    """Text people read: text nodes outside script/style/code, and the labels of controls."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip, self.found = 0, []

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style", "pre", "code")
        self.found += [v for k, v in attrs if k in ("aria-label", "placeholder", "title", "data-confirm") and v]

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style", "pre", "code")

    def handle_data(self, data):
        if not self.skip:
            self.found.append(data)


def _words(html: str) -> set[str]:
    parser = _Visible()
    parser.feed(html)
    return set(re.findall(r"[^\W\d_]{2,}", unicodedata.normalize("NFC", " ".join(parser.found))))


@pytest.fixture
def everything(make_user):
    from analysis.models import Analysis, LiveSession
    from tests.videos import make_video

    user = make_user(username="margaret")
    result = make_analysis(user, name="garden.jpg", faces=[("happy", 0.9), ("surprise", 0.6)])
    no_face = make_analysis(user, name="room.jpg")
    failed = make_analysis(user, name="broken.png", status="failed")
    Analysis.objects.filter(pk=failed.pk).update(error=PHOTO_UNREADABLE_REASON % {"detail": "the file is empty"})
    session = LiveSession.objects.create(
        owner=user, model_name="fast", started_at=dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC),
        ended_at=dt.datetime(2026, 12, 3, 9, 1, tzinfo=dt.UTC), duration_s=42.3,
        frames_received=300, frames_analysed=290, frames_dropped=10, faces_seen=1, face_detections=280,
        top_emotion="happy", emotion_counts={"happy": 200, "neutral": 80},
        timeline=[{"t": t, "n": 7, "shares": {"happy": 0.7, "neutral": 0.3}} for t in range(0, 42, 2)],
        mean_latency_ms=35.2)
    video = make_video(user)
    return {"user": user, "result": result, "no_face": no_face, "session": session, "video": video,
            "data": {"mp", "margaret", "garden", "jpg", "room", "broken", "png", "walk", "mp4", "example", "com",
                     "fast", "haar", "mtcnn", "blazeface", "vgg", "resnet", "ensemble", "tta", "uploaded", "user"}}


PAGE_NAMES = ["landing", "analyze", "result", "no-face", "history", "statistics", "live", "live-session", "videos",
              "video", "privacy", "delete-all", "api", "profile", "password-change", "not-found"]
ANONYMOUS_PAGES = ["sign-in", "sign-up", "password-reset", "password-reset-done"]


def _url(name: str, data: dict) -> str:
    return {
        "landing": "/", "analyze": "/analyze/", "result": f"/analyses/{data['result'].id}/",
        "no-face": f"/analyses/{data['no_face'].id}/", "history": "/history/", "statistics": "/statistics/?period=all",
        "live": "/live/", "live-session": f"/live/sessions/{data['session'].id}/", "videos": "/videos/",
        "video": f"/videos/{data['video'].id}/", "privacy": "/privacy/", "delete-all": "/privacy/delete-all/",
        "api": "/api/", "profile": "/accounts/profile/", "password-change": "/accounts/password/change/",
        "not-found": "/no-such-page/", "sign-in": "/accounts/login/", "sign-up": "/accounts/signup/",
        "password-reset": "/accounts/password/reset/", "password-reset-done": "/accounts/password/reset/sent/",
    }[name]


@pytest.mark.django_db
@pytest.mark.parametrize("name", PAGE_NAMES + ANONYMOUS_PAGES)
def test_every_vietnamese_page_has_no_english_left(client, everything, name):
    if name not in ANONYMOUS_PAGES:
        client.force_login(everything["user"])
    url = _url(name, everything)
    english = _words(client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode())
    english -= SHARED_WORDS | {w for w in english if w.lower() in everything["data"]}
    english -= API_TERMS if name == "api" else set()
    vietnamese_page = client.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
    assert _lang_of(vietnamese_page) == "vi"
    left = _words(vietnamese_page) & english
    assert left == set(), " ".join(sorted(left))


def _lang_of(html: str) -> str:
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_remote_live_frame_answers_in_the_sockets_language():
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from analysis.core.tasks import live_frame

    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    live_frame(channel, "bm90IGEganBlZw==", "fast", language="vi")  # "not a jpeg"
    answer = async_to_sync(layer.receive)(channel)
    assert answer["code"] == "not_jpeg" and answer["message"] == "Khung hình phải là ảnh JPEG."
    live_frame(channel, "bm90IGEganBlZw==", "fast")  # a task sent by an older web process: the default language
    assert async_to_sync(layer.receive)(channel)["message"] == "Frames must be JPEG images."
