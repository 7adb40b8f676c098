"""Every page at a phone's and a laptop's size in a real Chromium: nothing scrolls sideways or is cut
off, text (chart text included) stays readable, the history turns into cards on a phone, deletions
ask first, and an unknown address gets the site's own 404 page.

One live server and one browser for the module; the data is written straight through the ORM, so
no model runs here (tests/browser/test_photo_flow.py runs the real pipeline).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from analysis.models import Analysis, LiveSession
from ml.emotions import EMOTIONS
from tests.analysis_factories import days_ago, make_analysis
from tests.browser.measure import MEASURE, MIN_TEXT_PX, VIEWPORTS, problems_of
from tests.photos import face_photo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _jpeg(size: tuple[int, int]) -> bytes:
    image = Image.open(io.BytesIO(face_photo()))
    image.thumbnail(size)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def _seed(owner) -> dict:
    """What a user has after a few weeks: kept photos with faces, no face, a failure, a live session."""
    group = make_analysis(owner, name="family-reunion-in-the-garden-2026-summer.jpg",
                          faces=[("happy", 0.91), ("surprise", 0.62), ("neutral", 0.55)], model="vgg16",
                          created_at=days_ago(1))
    Analysis.objects.filter(pk=group.pk).update(width=512, height=512)
    group.photo.save("upload.jpg", ContentFile(_jpeg((512, 512))), save=False)
    group.thumbnail.save("thumb.jpg", ContentFile(_jpeg((320, 320))), save=True)
    make_analysis(owner, name="empty-room.jpg", created_at=days_ago(2))
    make_analysis(owner, name="broken.png", status="failed", created_at=days_ago(3))
    for day in range(4, 26, 3):
        make_analysis(owner, name=f"day-{day}.jpg", faces=[EMOTIONS[day % 7], "happy"], created_at=days_ago(day))
    start = timezone.now() - timezone.timedelta(hours=2)
    session = LiveSession.objects.create(
        owner=owner, model_name="fast", started_at=start, ended_at=start + timezone.timedelta(seconds=42),
        duration_s=42.3, frames_received=300, frames_analysed=290, frames_dropped=10, faces_seen=1,
        face_detections=280, top_emotion="happy", emotion_counts={"happy": 200, "neutral": 80},
        timeline=[{"t": t, "n": 7, "shares": {"happy": 0.7, "neutral": 0.3}} for t in range(0, 42, 2)],
        mean_latency_ms=35.2,
    )
    return {"group": group, "no_face": Analysis.objects.get(owner=owner, original_name="empty-room.jpg"),
            "session": session}


@pytest.fixture
def site(live_server, make_user):
    user = make_user(username="margaret")
    data = _seed(user)
    client = Client()
    client.force_login(user)
    return {"url": live_server.url, "user": user, "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value,
            **data}


def _signed_in_pages(site) -> dict[str, str]:
    return {
        "analyse": "/analyze/", "history": "/history/", "statistics": "/statistics/", "live": "/live/",
        "api": "/api/", "privacy": "/privacy/", "delete-all": "/privacy/delete-all/",
        "result": f"/analyses/{site['group'].id}/", "result-no-face": f"/analyses/{site['no_face'].id}/",
        "live-session": f"/live/sessions/{site['session'].id}/", "profile": "/accounts/profile/",
        "password-change": "/accounts/password/change/", "home-signed-in": "/",
    }


ANONYMOUS_PAGES = {"home": "/", "sign-in": "/accounts/login/", "sign-up": "/accounts/signup/",
                   "password-reset": "/accounts/password/reset/"}


def _context(browser, site, viewport: dict, signed_in: bool):
    context = browser.new_context(viewport=viewport)
    if signed_in:
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": site["cookie"], "url": site["url"]}])
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def _check(page, url: str, size: str, name: str, shots: str | None) -> list[str]:
    page.goto(url)
    if shots:
        page.screenshot(path=f"{shots}/{size}-{name}.png", full_page=True)
    page.evaluate("document.querySelectorAll('details.chart-data').forEach((d) => { d.open = true; })")
    problems = problems_of(page)  # data tables open: they must fit too
    return [f"{size} {url}: {p}" for p in problems]


@pytest.mark.parametrize("size", VIEWPORTS)
def test_every_page_fits_and_reads_at_phone_and_laptop_sizes(browser, site, size):
    shots = os.environ.get("FER_SCREENSHOTS")
    problems = []
    for signed_in, pages in ((True, _signed_in_pages(site)), (False, ANONYMOUS_PAGES)):
        context, page = _context(browser, site, VIEWPORTS[size], signed_in)
        for name, path in pages.items():
            problems += _check(page, site["url"] + path, size, name, shots)
        if signed_in:  # the statistics page really drew its charts (the text check is not vacuous)
            page.goto(site["url"] + "/statistics/")
            assert page.evaluate(MEASURE, MIN_TEXT_PX)["charts"] > 20
        context.close()
    assert not problems, "\n".join(problems)


def test_history_is_a_list_of_cards_on_a_phone(browser, site):
    context, page = _context(browser, site, VIEWPORTS["phone"], True)
    page.goto(site["url"] + "/history/")
    rows = page.locator(".history-table tbody tr")
    assert rows.count() == Analysis.objects.filter(owner=site["user"]).count()
    assert not page.locator(".history-table thead").is_visible()
    for i in range(rows.count()):
        box = rows.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= VIEWPORTS["phone"]["width"]
    card = rows.filter(has_text="family-reunion")
    for part in ("a.history-name", ".badge", "time", ".emotion-tag", "button:has-text('Delete')"):
        box = card.locator(part).bounding_box()
        assert box is not None and box["x"] + box["width"] <= VIEWPORTS["phone"]["width"], part
    context.close()


def test_deleting_from_the_history_asks_first(browser, site):
    context, page = _context(browser, site, VIEWPORTS["laptop"], True)
    page.goto(site["url"] + "/history/")
    asked = []
    answer = {"accept": False}

    def on_dialog(dialog):
        asked.append(dialog.message)
        dialog.accept() if answer["accept"] else dialog.dismiss()

    page.on("dialog", on_dialog)
    row = page.locator(".history-table tbody tr", has_text="empty-room.jpg")
    row.locator("button:has-text('Delete')").click()
    page.wait_for_timeout(300)
    assert asked and "empty-room.jpg" in asked[0]
    assert Analysis.objects.filter(original_name="empty-room.jpg").exists()  # dismissed: nothing deleted

    answer["accept"] = True
    row.locator("button:has-text('Delete')").click()
    page.wait_for_url(re.compile(r"/history/"))
    page.wait_for_selector(".messages")
    assert not Analysis.objects.filter(original_name="empty-room.jpg").exists()
    assert len(asked) == 2

    # "Delete selected" with nothing selected goes straight to the server's explanation.
    page.click("#bulk-delete button[type=submit]")
    page.wait_for_selector(".messages >> text=Select at least one analysis")
    assert len(asked) == 2
    page.check(".history-table tbody tr:has-text('broken.png') input[type=checkbox]")
    page.click("#bulk-delete button[type=submit]")
    page.wait_for_selector(".messages >> text=Deleted 1 analysis.")
    assert len(asked) == 3 and not Analysis.objects.filter(original_name="broken.png").exists()
    context.close()


def test_unknown_address_gets_the_branded_404_page(browser, site):
    if not (Path(settings.BASE_DIR) / "templates" / "404.html").exists():
        pytest.skip("templates/404.html (the server-side half of the issue) is not on this branch yet")
    for signed_in in (True, False):
        context, page = _context(browser, site, VIEWPORTS["phone"], signed_in)
        response = page.goto(site["url"] + "/no-such-page/")
        assert response.status == 404
        assert page.locator("header.site-header a.brand").is_visible()
        assert page.locator("main a[href^='/']").count() >= 1  # a way back into the site
        assert page.locator("nav.main-nav").is_visible() == signed_in
        assert page.evaluate(MEASURE, MIN_TEXT_PX)["pageWidth"] <= VIEWPORTS["phone"]["width"]
        context.close()
