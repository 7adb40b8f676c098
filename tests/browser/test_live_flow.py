"""Live webcam page in a real Chromium whose fake camera plays a video made from a real face photo."""

from __future__ import annotations

import os
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import launch
from tests.browser.servers import embedded_server
from tests.photos import astronaut

pytestmark = pytest.mark.slow


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


def test_live_page_draws_predictions_and_saves_the_session(tmp_path, playwright):
    video = write_y4m(tmp_path / "face.y4m")
    camera = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"]
    with embedded_server(tmp_path) as url:
        browser = launch(playwright, camera)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
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
        # One check in the page, so that a later prediction (a frame where the face was missed clears
        # the overlay) cannot slip in between reading the prediction and counting painted pixels.
        snapshot = page.wait_for_function("""() => {
            const s = window.liveState;
            if (s.predictions < 3 || !s.lastPrediction || s.lastPrediction.faces.length < 1) return null;
            const c = document.getElementById('live-overlay');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let drawn = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) drawn++;
            return drawn > 500 ? {prediction: s.lastPrediction, drawn} : null;
        }""").json_value()
        face = snapshot["prediction"]["faces"][0]
        assert face["emotion"] in face["smoothed"]
        assert snapshot["drawn"] > 500  # box, label and bars were painted over the video
        assert page.locator("#live-rate").inner_text() != "–"
        page.screenshot(path=str(tmp_path / "live.png"))
        if shot_dir := os.environ.get("FER_SCREENSHOTS"):
            page.screenshot(path=f"{shot_dir}/live.png")

        page.click("#live-stop")
        page.wait_for_function("window.liveState.summary !== null")
        summary = page.evaluate("window.liveState.summary")
        assert summary["frames_analysed"] >= 3 and summary["url"]
        page.click("#live-summary a")
        page.wait_for_selector("svg.timeline polyline", state="attached")
        assert "Live session of" in page.locator("h1").inner_text()
        page.goto(url + "/live/")
        assert page.locator(".recent .upload-item").count() == 1
        browser.close()
