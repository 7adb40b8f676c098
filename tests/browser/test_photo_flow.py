"""A person's whole photo flow in a real browser at a phone's size: sign up, choose photos (checked
in the browser, nothing sent until Analyse), one photo opens its result, analyse it again, several
photos fill the Recent list with "View result" links, history, statistics, delete."""

from __future__ import annotations

import os
import re

import pytest

from analysis.models import Analysis
from tests.photos import face_photo

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def test_sign_up_choose_analyse_again_history_statistics_delete(live_server, browser, tmp_path):
    photo = tmp_path / "astronaut.jpg"
    photo.write_bytes(face_photo())
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(90_000)  # generous: the first analysis loads the model on a busy machine

    page.goto(live_server.url + "/accounts/signup/")
    page.fill("input[name=username]", "ada")
    page.fill("input[name=email]", "ada@example.com")
    page.fill("input[name=password1]", "correct-Horse-battery-9")
    page.fill("input[name=password2]", "correct-Horse-battery-9")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/analyze/$"))

    # Analyse with nothing chosen says what to do.
    page.click("#upload-button")
    assert "Choose at least one photo first" in page.locator("#upload-message").inner_text()

    # Wrong type and too large are refused here, before anything is sent.
    page.set_input_files("#images", [
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not a photo"},
        {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" + b"0" * (11 * 1024 * 1024)},
    ])
    refused = page.locator("#picked .upload-error")
    assert refused.count() == 2
    assert "not a JPEG, PNG or WebP photo" in refused.nth(0).inner_text()
    assert "(11.0 MB) is over the 10 MB limit" in refused.nth(1).inner_text()
    page.click("#upload-button")
    assert "None of the chosen files can be analysed" in page.locator("#upload-message").inner_text()
    page.click("#picked button:has-text('Remove') >> nth=0")
    page.click("#picked button:has-text('Remove') >> nth=0")

    # Choosing a photo shows it and sends nothing: the model can still be changed.
    page.set_input_files("#images", str(photo))
    page.wait_for_function("document.querySelector('#picked img')?.naturalWidth > 0")
    assert "ready" in page.locator("#picked").inner_text()
    page.wait_for_timeout(500)
    assert not Analysis.objects.exists()
    assert page.locator("#detector option").count() >= 2  # the detectors offered come from the server

    # One photo: Analyse opens its result page, which updates itself until done.
    page.click("#upload-button")
    page.wait_for_url(re.compile(r"/analyses/[0-9a-f-]+/$"))
    page.wait_for_selector("svg.result-photo .face-box")
    analysis = Analysis.objects.get(owner__username="ada")
    face = analysis.faces.get()
    assert page.locator("svg.result-photo .face-box").count() == 1
    assert face.emotion.capitalize() in page.locator("svg.result-photo .face-label").text_content()
    assert page.locator(".face-card .prob-row").count() == 7
    assert re.search(r"took \d+(\.\d)? s", page.locator("#analysis-status").inner_text())
    if shot_dir := os.environ.get("FER_SCREENSHOTS"):
        page.screenshot(path=f"{shot_dir}/phone-result.png", full_page=True)

    # Analyse again: a new analysis of the stored photo, the first one stays.
    page.select_option(".again-options select[name=detector]", analysis.detector)
    page.click(".again-options button[type=submit]")
    page.wait_for_url(lambda url: "/analyses/" in url and str(analysis.id) not in url)
    page.wait_for_selector("svg.result-photo .face-box")
    assert "again with the" in page.locator(".messages").inner_text()
    assert Analysis.objects.filter(owner__username="ada", status="done").count() == 2

    # Several photos: they stay on this page, on top of the Recent list, each with its result link.
    page.goto(live_server.url + "/analyze/")
    assert page.locator("#upload-list .result-item").count() == 2
    page.set_input_files("#images", [str(photo), str(photo)])
    page.click("#upload-button")
    page.wait_for_function("document.querySelectorAll('#upload-list .result-item[data-status=done]').length === 4")
    assert page.url.endswith("/analyze/")
    newest = page.locator("#upload-list .result-item").first
    assert "1 face" in newest.inner_text() and newest.locator("img").count() == 1
    assert newest.locator("a.result-link:has-text('View result')").get_attribute("href").startswith("/analyses/")
    if shot_dir:
        page.screenshot(path=f"{shot_dir}/phone-analyse.png", full_page=True)

    page.goto(live_server.url + "/history/")
    assert page.locator(".history-table tbody tr").count() == 4

    page.goto(live_server.url + "/statistics/")
    assert f"{face.emotion}: 4" in page.locator("#chart-emotions svg").first.text_content()

    page.goto(live_server.url + f"/analyses/{analysis.id}/")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("text=Delete this analysis")
    page.wait_for_url(re.compile(r"/history/"))
    assert not Analysis.objects.filter(id=analysis.id).exists()
    assert "Deleted the analysis of astronaut.jpg" in page.locator(".messages").inner_text()
    assert page.locator(".history-table tbody tr").count() == 3
    context.close()
