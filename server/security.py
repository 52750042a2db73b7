"""Security headers on every response.

The policy forbids inline scripts and styles except the exact texts the server inlines
for the first paint (allowed by their SHA-256 hashes, computed once at start-up: see
server/inline.py), so every byte the browser runs or styles with is one we ship; no
third-party origin is ever allowed.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CSP_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "media-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'none'",
]
CSP = "; ".join(CSP_DIRECTIVES)


def policy(styles: list[str] = (), scripts: list[str] = ()) -> str:
    """The policy with these hash sources added to style-src and script-src."""
    extra = {"style-src": list(styles), "script-src": list(scripts)}
    out = []
    for directive in CSP_DIRECTIVES:
        name = directive.split(" ", 1)[0]
        out.append(" ".join([directive, *extra.get(name, [])]))
    return "; ".join(out)


def allow_inline(app: Flask, styles: list[str] = (), scripts: list[str] = ()) -> None:
    """Allow these inline texts (as CSP hash sources) on every response of `app`."""
    app.extensions["mbr_csp"] = policy(styles, scripts)


PERMISSIONS = ", ".join(
    [
        "accelerometer=()",
        "camera=()",
        "display-capture=()",
        "geolocation=()",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "payment=()",
        "usb=()",
        "interest-cohort=()",
        # The guided player keeps the screen on while a routine runs.
        "screen-wake-lock=(self)",
    ]
)


def add_headers(response: Response) -> Response:
    h = response.headers
    h.setdefault("Content-Security-Policy", current_app.extensions.get("mbr_csp", CSP))
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("Referrer-Policy", "no-referrer")
    h.setdefault("Permissions-Policy", PERMISSIONS)
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    h.setdefault("Cross-Origin-Resource-Policy", "same-origin")
    h.setdefault("X-Frame-Options", "DENY")
    if request.is_secure or current_app.config.get("FORCE_HSTS"):
        h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_headers)
