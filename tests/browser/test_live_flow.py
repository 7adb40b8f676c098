"""Live webcam page in a real Chromium at a phone's size, whose fake camera plays a video made from
a real face photo: predictions drawn over the video with legible per-face bars beside it, then Stop
shows the saved summary and its link, hides the video, clears the figures, and a second start works."""

from __future__ import annotations

import os
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import launch
from tests.browser.measure import VIEWPORTS, problems_of
from tests.browser.servers import embedded_server
from tests.photos import astronaut

pytestmark = pytest.mark.slow

PHONE = VIEWPORTS["phone"]
# One check in the page, so that a later prediction (a frame where the face was missed clears the
# overlay) cannot slip in between reading the prediction and counting painted pixels.
PAINTED = """(least) => {
    const s = window.liveState;
    if (s.predictions < least || !s.lastPrediction || s.lastPrediction.faces.length < 1) return null;
    const c = document.getElementById('live-overlay');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let drawn = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) drawn++;
    return drawn > 500 ? {prediction: s.lastPrediction, drawn} : null;
}"""


def write_y4m(path: Path, frames: int = 30) -> Path:
    """A 640x480 4:2:0 Y4M clip of the astronaut's face drifting slowly (Chromium loops it)."""
    face = np.asarray(Image.fromarray(astronaut()).resize((400, 400)))
    with open(path, "wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F30:1 Ip A1:1 C420jpeg\n")
        for i in range(frames):
            canvas = np.full((480, 640, 3), 90, dtype=np.uint8)
            x = 100 + (i % 10) * 4
            canvas[40:440, x : x + 400] = face
            i420 = cv2.cvtColor(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR), cv2.COLOR_BGR2YUV_I420)
            out.write(b"FRAME\n" + i420.tobytes())
    return path


def stop_and_read_summary(page) -> dict:
    page.click("#live-stop")
    page.wait_for_function("window.liveState.summary !== null")
    return page.evaluate("window.liveState.summary")


def test_live_page_draws_predictions_then_stop_shows_the_saved_session(tmp_path, playwright):
    video = write_y4m(tmp_path / "face.y4m")
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"]
    with embedded_server(tmp_path) as url:
        browser = launch(playwright, camera)
        page = browser.new_page(viewport=PHONE)
        page.set_default_timeout(60_000)
        page.goto(url + "/accounts/signup/")
        page.fill("input[name=username]", "grace")
        page.fill("input[name=email]", "grace@example.com")
        page.fill("input[name=password1]", "correct-Horse-battery-9")
        page.fill("input[name=password2]", "correct-Horse-battery-9")
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/analyze/$"))

        page.goto(url + "/live/")
        page.click("#live-start")
        snapshot = page.wait_for_function(PAINTED, arg=3).json_value()
        face = snapshot["prediction"]["faces"][0]
        assert face["emotion"] in face["smoothed"]
        assert snapshot["drawn"] > 500  # box and label were painted over the video
        assert page.locator("#live-rate").inner_text() != "–"
        # Each face's probabilities as labelled bars beside the video, readable on a phone.
        panel = page.locator("#live-face-panel")
        assert panel.is_visible() and panel.locator(".live-face").count() >= 1
        assert panel.locator(".live-face").first.locator(".prob-row").count() == 7
        assert "Face 1:" in panel.locator(".live-face h3").first.inner_text()
        assert problems_of(page) == []  # streaming: nothing sideways, no text under 11 px
        if shot_dir := os.environ.get("FER_SCREENSHOTS"):
            page.screenshot(path=f"{shot_dir}/phone-live-streaming.png", full_page=True)

        summary = stop_and_read_summary(page)
        assert summary["frames_analysed"] >= 3 and summary["url"]
        assert "saved" in page.locator("#live-status").inner_text()
        saved = page.locator("#live-summary")
        assert saved.is_visible() and f"{summary['frames_analysed']} frames analysed" in saved.inner_text()
        assert saved.locator("a").get_attribute("href") == summary["url"]
        box = saved.bounding_box()
        assert box["y"] + box["height"] < PHONE["height"]  # in view, not pushed down by a black video box
        assert not page.locator("#live-stage").is_visible() and not page.locator("#live-face-panel").is_visible()
        assert [page.locator(f"#live-{m}").inner_text() for m in ("rate", "latency", "faces")] == ["–"] * 3
        assert page.locator("#live-sessions .session-item").first.locator("a").get_attribute("href") == summary["url"]
        if shot_dir:
            page.screenshot(path=f"{shot_dir}/phone-live-stopped.png")

        # A second run starts from a clean state and saves its own session.
        page.click("#live-start")
        assert not saved.is_visible()
        page.wait_for_function(PAINTED, arg=1)
        second = stop_and_read_summary(page)
        assert second["url"] and second["url"] != summary["url"]

        page.click("#live-summary a")
        page.wait_for_selector("#chart-timeline svg polyline", state="attached")
        assert "Live session of" in page.locator("h1").inner_text()
        assert problems_of(page) == []
        page.goto(url + "/live/")
        assert page.locator("#live-sessions .session-item").count() == 2
        browser.close()
