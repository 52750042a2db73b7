"""The images notifications show, as Chromium decodes them."""

import re

import pytest

pytestmark = pytest.mark.browser

ALPHA = """async (url) => {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = new OffscreenCanvas(img.naturalWidth, img.naturalHeight);
    const g = canvas.getContext('2d');
    g.drawImage(img, 0, 0);
    const data = g.getImageData(0, 0, canvas.width, canvas.height).data;
    return { width: canvas.width, height: canvas.height, alpha: Array.from(data.filter((_, i) => i % 4 === 3)) };
}"""


def test_notification_badge_is_a_mask(page, live_server):
    """Android draws a notification's badge from its alpha alone, in one colour: the
    badge must be the app's mark on nothing (a filled square would show as a blob)."""
    sw = page.request.get(live_server.url + "/sw.js").text()
    url = re.search(r'badge: "([^"]+)"', sw).group(1)
    assert url.startswith("/static/icons/badge-96.png?v="), url
    page.goto(live_server.url + "/offline")
    image = page.evaluate(ALPHA, url)
    size = image["width"]
    assert (size, image["height"]) == (96, 96)
    alpha = [image["alpha"][row * size:(row + 1) * size] for row in range(size)]
    # Nothing drawn along the edges (no background shape) ...
    edges = alpha[0] + alpha[-1] + [row[0] for row in alpha] + [row[-1] for row in alpha]
    assert max(edges) == 0
    transparent = sum(a == 0 for row in alpha for a in row) / size**2
    assert 0.5 < transparent < 0.95, transparent
    # ... and the mark is solid: the spine down the middle and the two brackets beside it.
    assert alpha[size // 2][size // 2] == 255
    middle = alpha[size // 2]
    assert max(middle[: size // 4]) == 255 and max(middle[-size // 4:]) == 255
