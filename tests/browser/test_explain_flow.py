"""Compare models and the heatmap toggle in a real browser, on a two-face photo, at a phone's size and a laptop's."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from django.test import Client

from analysis.core import heatmaps, services
from analysis.core.choices import model_names
from analysis.core.photo_checks import check_image_bytes
from analysis.models import Analysis
from tests.browser.measure import VIEWPORTS, problems_of
from tests.photos import astronaut, encode

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def site(live_server, make_user):
    """A signed-in owner with one finished analysis of a photo of two people."""
    user = make_user(username="grace")
    photo = encode(np.hstack([astronaut(), astronaut()[:, ::-1]]))
    analysis = services.analysis_create(owner=user, image=check_image_bytes(photo, "two-people.jpg"))
    services.analysis_process(analysis_id=analysis.id)
    client = Client()
    client.force_login(user)
    return {"url": f"{live_server.url}/analyses/{analysis.id}/", "analysis": analysis,
            "cookie": client.cookies[settings.SESSION_COOKIE_NAME].value, "base": live_server.url}


def open_page(browser, site, size: str):
    context = browser.new_context(viewport=VIEWPORTS[size])
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": site["cookie"], "url": site["base"]}])
    page = context.new_page()
    page.set_default_timeout(90_000)  # the first comparison loads every model on a busy machine
    page.goto(site["url"])
    return context, page


@pytest.mark.parametrize("size", ["phone", "laptop"])
def test_compare_models_on_two_faces(browser, site, size):
    analysis = site["analysis"]
    assert analysis.faces.count() == 2
    context, page = open_page(browser, site, size)
    assert page.locator(".compare-table").count() == 0
    page.click("#compare button[type=submit]")
    page.wait_for_url(lambda url: url.endswith("#compare"))
    page.wait_for_selector(".compare-table")
    assert "Comparing" in page.locator(".messages").inner_text()

    analysis.refresh_from_db()
    names = model_names()
    assert analysis.compare_status == "done" and analysis.compare_models == names
    faces = page.locator(".compare-face")
    assert faces.count() == 2
    for face in analysis.faces.order_by("index"):
        block = page.locator(f'.compare-face[data-face="{face.index}"]')
        headers = block.locator("thead .compare-model-name").all_inner_texts()
        assert headers == [analysis.model_name, *[n for n in names if n != analysis.model_name]]
        assert block.locator("tbody tr").count() == 7
        says = block.locator("tfoot .compare-says").all_inner_texts()
        assert [s.strip().lower() for s in says] == [face.predictions[m]["emotion"] for m in headers]
        verdict = block.locator(".compare-verdict").inner_text()
        assert ("All models agree" in verdict) == (len(set(says)) == 1)
        # Each column's highlighted cell is that model's own top probability.
        for column, model in enumerate(headers):
            top = block.locator(f"tbody tr td:nth-of-type({column + 1}).compare-top")
            assert top.count() == 1
            assert top.locator("xpath=..").locator("th").inner_text().lower() == face.predictions[model]["emotion"]
    assert page.locator(".compare-accuracy").first.inner_text().endswith("accurate")
    assert problems_of(page) == []
    if shots := os.environ.get("FER_SCREENSHOTS"):
        page.screenshot(path=f"{shots}/{size}-compare.png", full_page=True)
    context.close()


def test_heatmap_toggle_loads_on_opening_and_follows_the_model(browser, site):
    analysis: Analysis = site["analysis"]
    context, page = open_page(browser, site, "phone")
    toggles = page.locator("details.heatmap")
    assert toggles.count() == 2
    second = toggles.nth(1)
    image = second.locator("img.heatmap-image")
    assert not image.is_visible()
    page.wait_for_timeout(300)
    media = Path(settings.MEDIA_ROOT)
    assert not (media / heatmaps.cache_name(analysis.id, 1, analysis.model_name)).exists()  # nothing asked yet

    second.locator("summary").click()
    page.wait_for_function("(img) => img.complete && img.naturalWidth === 192", arg=image.element_handle())
    assert (media / heatmaps.cache_name(analysis.id, 1, analysis.model_name)).is_file()
    assert not (media / heatmaps.cache_name(analysis.id, 0, analysis.model_name)).exists()  # the other face's: not

    other = next(n for n in model_names() if n != analysis.model_name)
    second.locator("select.heatmap-model").select_option(other)
    page.wait_for_function("(img) => img.src.includes('model=" + other + "') && img.complete && img.naturalWidth"
                           " === 192", arg=image.element_handle())
    assert (media / heatmaps.cache_name(analysis.id, 1, other)).is_file()
    assert problems_of(page) == []
    if shots := os.environ.get("FER_SCREENSHOTS"):
        second.screenshot(path=f"{shots}/phone-heatmap.png")
    second.locator("summary").click()
    assert not image.is_visible()
    context.close()
