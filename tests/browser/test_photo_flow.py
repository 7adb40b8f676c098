"""A person's whole photo flow in a real browser: sign up, upload, result, history, statistics, delete."""

from __future__ import annotations

import os
import re

import pytest

from analysis.models import Analysis
from tests.photos import face_photo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_sign_up_upload_see_result_history_statistics_delete(live_server, page, tmp_path, settings):
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(face_photo())

    page.goto(live_server.url + "/accounts/signup/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password1]", "correct-Horse-battery-9")
    page.fill("input[name=password2]", "correct-Horse-battery-9")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/analyze/$"))

    page.set_input_files("#images", str(photo))
    page.wait_for_selector("#upload-list .status-done")
    item = page.locator("#upload-list .upload-item").first
    assert "1 face" in item.inner_text()

    item.locator("a.upload-name").click()
    page.wait_for_selector("svg.result-photo .face-box")
    analysis = Analysis.objects.get(owner__username="ada")
    face = analysis.faces.get()
    assert page.locator("svg.result-photo .face-box").count() == 1
    assert f"{face.emotion.capitalize()}" in page.locator("svg.result-photo .face-label").text_content()
    assert page.locator(".face-card .prob-row").count() == 7
    page.screenshot(path=str(tmp_path / "result.png"))
    if shot_dir := os.environ.get("FER_SCREENSHOTS"):
        page.screenshot(path=f"{shot_dir}/result.png", full_page=True)

    page.goto(live_server.url + "/history/")
    assert "astronaut.jpg" in page.locator("main").inner_text()

    page.goto(live_server.url + "/statistics/")
    assert page.locator("main svg").count() >= 1
    assert f"{face.emotion}: 1" in page.locator("main svg").first.text_content()  # one face of that emotion

    page.goto(live_server.url + f"/analyses/{analysis.id}/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("text=Delete this analysis")
    page.wait_for_url(re.compile(r"/history/"))
    assert not Analysis.objects.filter(id=analysis.id).exists()
    assert "Deleted the analysis of astronaut.jpg" in page.locator(".messages").inner_text()
    assert page.locator("a[href*='/analyses/']").count() == 0
