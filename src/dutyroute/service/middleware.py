"""ASGI middleware of the service: request ids and JSON access logs, body-size limit, API key.

Each is plain ASGI. The body limit holds at most ``max_body_bytes`` + one chunk: a declared
``Content-Length`` over the limit is refused before any byte is read, a streamed (chunked) body as
soon as it passes the limit.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["OPEN_PATHS", "AccessLog", "ApiKey", "BodyLimit", "error_body"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"})
"""Paths that need no API key (probes and the API's own description)."""

access_logger = logging.getLogger("dutyroute.access")


def error_body(
    path: str, status: int, message: str, loc: list[Any] | None = None, kind: str | None = None
) -> bytes:
    """The JSON error body for ``path``: Open311's ``[{code, description}]`` under ``/open311``,
    else FastAPI's ``{"detail": [{"loc", "msg", "type"}]}``."""
    # backslashreplace: a message that quotes the client's value (a lone surrogate in a fact
    # name, say) still makes a valid body, the value shown as \\udXXX
    if path.startswith("/open311"):
        body = json.dumps([{"code": status, "description": message}], ensure_ascii=False)
        return body.encode("utf-8", "backslashreplace")
    detail = [{"loc": loc or [], "msg": message, "type": kind or f"http_{status}"}]
    return json.dumps({"detail": detail}, ensure_ascii=False).encode("utf-8", "backslashreplace")


async def _reply(send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]] = []) -> None:  # noqa: B006
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413 (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        message = (
            f"request body over {self.limit} bytes; send fewer items per request (batch: at most the limit)"
        )
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _reply(
                        send, 400, error_body(path, 400, f"Content-Length {value!r} is not a number")
                    )
                    return
                if declared > self.limit:
                    await _reply(send, 413, error_body(path, 413, message))
                    return
        # read the body here (at most limit + 1 bytes are ever held), then replay it to the app
        chunks: list[bytes] = []
        seen = 0
        while True:
            msg = await receive()
            if msg["type"] != "http.request":
                break  # a disconnect: the app sees an empty body
            chunk = msg.get("body", b"")
            seen += len(chunk)
            if seen > self.limit:
                await _reply(send, 413, error_body(path, 413, message))
                return
            chunks.append(chunk)
            if not msg.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


class ApiKey:
    """Require ``X-API-Key`` (or, on Open311 POSTs, an ``api_key`` form field checked by the route)."""

    def __init__(self, app: ASGIApp, key: str | None) -> None:
        self.app, self.key = app, key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.key is None or scope.get("path", "") in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        sent = dict(scope.get("headers", ())).get(b"x-api-key")
        if sent is not None and secrets.compare_digest(sent, self.key.encode()):
            await self.app(scope, receive, send)
            return
        if path.startswith("/open311") and scope.get("method") == "POST" and sent is None:
            scope.setdefault("state", {})["api_key_required"] = self.key
            await self.app(scope, receive, send)  # the Open311 route checks the form's api_key
            return
        what = "wrong API key" if sent is not None else "missing API key"
        await _reply(
            send,
            401,
            error_body(path, 401, f"{what}: send it in the X-API-Key header"),
            [(b"www-authenticate", b'ApiKey header="X-API-Key"')],
        )


class AccessLog:
    """Give every request an id (``X-Request-ID`` as sent, or a new one), echo it in the response,
    and log one JSON line per request: time, id, method, path, status, milliseconds, client."""

    def __init__(self, app: ASGIApp, enabled: bool = True) -> None:
        self.app, self.enabled = app, enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        given = headers.get(b"x-request-id", b"").decode("latin-1")[:128]
        request_id = given if given.isprintable() and given else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        start = time.perf_counter()

        async def send_with_id(msg: Message) -> None:
            nonlocal status
            if msg["type"] == "http.response.start":
                status = msg["status"]
                msg["headers"] = [*msg.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(msg)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if self.enabled:
                client = scope.get("client")
                access_logger.info(
                    json.dumps(
                        {
                            "ts": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                            "request_id": request_id,
                            "method": scope.get("method"),
                            "path": scope.get("path"),
                            "status": status,
                            "ms": round((time.perf_counter() - start) * 1000, 2),
                            "client": client[0] if client else None,
                        },
                        ensure_ascii=False,
                    )
                )
