"""Responses built once and served many times: ETag, 304 and gzip without per-request work."""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass

from flask import Request, Response

# Below this size gzip saves less than its header and the CPU it costs.
GZIP_MIN_BYTES = 512


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
        compressible = mimetype.startswith(("text/", "application/")) or mimetype.endswith("+xml")
        packed = None
        if compressible and len(raw) >= GZIP_MIN_BYTES:
            # mtime=0 keeps the compressed bytes (and so tests and caches) deterministic.
            candidate = gzip.compress(raw, compresslevel=9, mtime=0)
            packed = candidate if len(candidate) < len(raw) else None
        return cls(raw, mimetype, etag, packed)

    def respond(self, request: Request, cache_control: str = "no-cache", status: int = 200) -> Response:
        """A response honouring If-None-Match and Accept-Encoding: gzip."""
        headers = {"Cache-Control": cache_control, "ETag": f'"{self.etag}"'}
        if self.gzipped is not None:
            headers["Vary"] = "Accept-Encoding"
        if status == 200 and self.etag in request.if_none_match:
            return Response(status=304, headers=headers)
        body = self.data
        if self.gzipped is not None and "gzip" in request.accept_encodings:
            body = self.gzipped
            headers["Content-Encoding"] = "gzip"
        mimetype = self.mimetype
        if mimetype.startswith("text/") or mimetype in {"application/json", "text/javascript"}:
            content_type = f"{mimetype}; charset=utf-8"
        else:
            content_type = mimetype
        response = Response(body, status=status, headers=headers, content_type=content_type)
        return response
