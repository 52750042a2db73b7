import pytest

from server.security import PERMISSIONS

# Every powerful feature the app does not use is switched off; only the player's wake lock
# is allowed, for this origin.
EXPECTED_PERMISSIONS = {
    "accelerometer": "()", "camera": "()", "display-capture": "()", "geolocation": "()",
    "gyroscope": "()", "magnetometer": "()", "microphone": "()", "payment": "()", "usb": "()",
    "interest-cohort": "()", "screen-wake-lock": "(self)",
}

PATHS = ["/", "/stretches", "/screening", "/manifest.webmanifest", "/sw.js", "/api/v1/content",
         "/api/v1/nope", "/nope", "/static/css/app.css"]


@pytest.mark.parametrize("path", PATHS)
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(
        (d.split(" ", 1) + [""])[:2] for d in (part.strip() for part in csp.split(";"))
    )
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    policy = dict(item.strip().split("=", 1) for item in response.headers["Permissions-Policy"].split(","))
    assert policy == EXPECTED_PERMISSIONS
    # No other window may keep a handle on ours, our files are not embeddable elsewhere,
    # and no page may frame the app (clickjacking), for browsers that ignore frame-ancestors.
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Set-Cookie" not in response.headers
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_only_over_https(client):
    response = client.get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_permissions_policy_is_the_one_the_tests_expect():
    assert PERMISSIONS.count(",") + 1 == len(EXPECTED_PERMISSIONS)
