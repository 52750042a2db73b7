"""Responses built once and served many times: ETag, 304, and brotli and gzip bodies
compressed at start-up, so a request costs a dictionary lookup, never compression."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cached_property

import brotli
from flask import Request, Response

# Below this size compression saves less than its header and the CPU it costs.
COMPRESS_MIN_BYTES = 512
# Ties in the client's preference go to the smaller coding.
CODING_ORDER = ("br", "gzip")


def _compressible(mimetype: str) -> bool:
    return mimetype.startswith(("text/", "application/")) or mimetype.endswith("+xml")


def choose_coding(request: Request, body: Body) -> str | None:
    """The content coding to send: the one the client rates highest (q-values, `*`
    included) among those `body` has; None for the unencoded body. A coding the client
    rates q=0 is never sent (nor computed)."""
    accepted = request.accept_encodings
    best, best_q = None, 0.0
    for coding in CODING_ORDER:
        q = accepted.quality(coding)
        if q > best_q and body.coded(coding) is not None:
            best, best_q = coding, q
    return best


@dataclass(frozen=True)
class Body:
    data: bytes
    mimetype: str
    etag: str
    gzipped: bytes | None

    @classmethod
    def of(cls, data: bytes | str, mimetype: str) -> Body:
        raw = data.encode("utf-8") if isinstance(data, str) else data
        etag = hashlib.sha256(raw).hexdigest()[:20]
        gz = None
        if _compressible(mimetype) and len(raw) >= COMPRESS_MIN_BYTES:
            # mtime=0 keeps the compressed bytes (and so tests and caches) deterministic.
            candidate = gzip.compress(raw, compresslevel=9, mtime=0)
            gz = candidate if len(candidate) < len(raw) else None
        return cls(raw, mimetype, etag, gz)

    @cached_property
    def brotli(self) -> bytes | None:
        """Brotli at its best (slow) quality, computed once: at start-up for everything
        `python -m server` serves (server.pwa.warm), else on first use."""
        if not (_compressible(self.mimetype) and len(self.data) >= COMPRESS_MIN_BYTES):
            return None
        mode = brotli.MODE_TEXT if self.mimetype.startswith("text/") else brotli.MODE_GENERIC
        packed = brotli.compress(self.data, quality=11, mode=mode)
        return packed if len(packed) < len(self.data) else None

    @cached_property
    def encodings(self) -> dict[str, bytes]:
        out = {}
        if self.brotli is not None:
            out["br"] = self.brotli
        if self.gzipped is not None:
            out["gzip"] = self.gzipped
        return out

    def size(self, coding: str | None) -> int:
        """Bytes on the wire for `coding` (None: unencoded)."""
        return len(self.encodings.get(coding, self.data)) if coding else len(self.data)

    def coded(self, coding: str) -> bytes | None:
        return self.brotli if coding == "br" else self.gzipped if coding == "gzip" else None

    @property
    def content_type(self) -> str:
        if self.mimetype.startswith("text/") or self.mimetype == "application/json":
            return f"{self.mimetype}; charset=utf-8"
        return self.mimetype

    def respond(self, request: Request, cache_control: str = "no-cache", status: int = 200) -> Response:
        """A response honouring If-None-Match and Accept-Encoding (br, gzip, q-values)."""
        coding = choose_coding(request, self)
        # Each coding is its own representation with its own strong ETag (RFC 9110 8.8.3);
        # a validator for any of them still means "you have these bytes' content".
        tag = self.etag if coding is None else f"{self.etag}-{coding}"
        headers = {"Cache-Control": cache_control, "ETag": f'"{tag}"'}
        if _compressible(self.mimetype) and len(self.data) >= COMPRESS_MIN_BYTES:
            headers["Vary"] = "Accept-Encoding"
        if status == 200 and request.if_none_match and any(
            t in request.if_none_match for t in (self.etag, *(f"{self.etag}-{c}" for c in CODING_ORDER))
        ):
            return Response(status=304, headers=headers)
        body = self.data
        if coding is not None:
            body = self.coded(coding)
            headers["Content-Encoding"] = coding
        return Response(body, status=status, headers=headers, content_type=self.content_type)
