"""A video in a real browser: upload with progress, then the result page plays the video and draws each
face's box over it at the time the player shows, from the stored per-frame results."""

from __future__ import annotations

import os
import re

import pytest

from analysis.core.palette import EMOTION_COLOURS
from analysis.models import Video
from ml.emotions import EMOTIONS
from tests.videos import walking_clip

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def sign_in(page, url: str, user, password: str) -> None:
    page.goto(url + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/analyze/$"))


@pytest.mark.parametrize("container", ["webm", "mp4"])
def test_upload_then_the_result_page_plays_and_draws_boxes(live_server, page, tmp_path, user, password, container):
    clip = tmp_path / f"walk.{container}"
    clip.write_bytes(walking_clip(container, seconds=3))
    sign_in(page, live_server.url, user, password)

    page.goto(live_server.url + "/videos/")
    page.select_option("#fps", "5")
    page.set_input_files("#videos", str(clip))
    page.wait_for_selector("#video-upload-list .status-done")
    assert "1 face" in page.locator("#video-upload-list .video-item").first.inner_text()
    video = Video.objects.get(owner=user)
    track = video.tracks.get()

    page.locator("#video-upload-list a.upload-name").click()
    page.wait_for_selector("#video-player")
    # One timeline per face, drawn for a phone and a wide card; the one that fits is shown.
    assert page.locator(".track-card .chart-frame").count() == 1
    assert page.locator(".track-card svg.chart >> visible=true").count() == 1
    page.wait_for_function("window.videoOverlay && window.videoOverlay.samples > 0")
    assert page.evaluate("window.videoOverlay.samples") == len(set(track.timeline["t"]))

    # Play it through (muted, as autoplay rules want), then check boxes were drawn while it played.
    page.evaluate("() => { const v = document.getElementById('video-player'); v.muted = true; return v.play(); }")
    page.wait_for_function("document.getElementById('video-player').ended", timeout=30_000)
    assert page.evaluate("window.videoOverlay.boxesDrawn") > 0

    # Seek to a sampled time: the canvas shows that sample's box (its left edge in the emotion's colour),
    # and nothing far from it.
    t, (x, y, _, h) = track.timeline["t"][2], track.timeline["box"][2]
    page.evaluate(f"() => {{ document.getElementById('video-player').currentTime = {t + 0.01}; }}")
    page.wait_for_function(f"Math.abs(window.videoOverlay.lastTime - {t + 0.01}) < 0.005")
    pixel = page.evaluate(f"""() => {{
        const c = document.getElementById('video-overlay'), ctx = c.getContext('2d');
        return [Array.from(ctx.getImageData({x}, {y + h // 2}, 1, 1).data),
                Array.from(ctx.getImageData(2, {video.height - 3}, 1, 1).data)];
    }}""")
    if shot_dir := os.environ.get("FER_SCREENSHOTS"):
        page.screenshot(path=f"{shot_dir}/video-{container}.png", full_page=True)
    edge, corner = pixel
    emotion = EMOTIONS[max(range(len(EMOTIONS)), key=track.timeline["p"][2].__getitem__)]
    assert edge[3] == 255 and corner[3] == 0  # an opaque stroke on the box's edge, transparent elsewhere
    assert "#{:02x}{:02x}{:02x}".format(*edge[:3]) == EMOTION_COLOURS[emotion]  # the emotion's colour
