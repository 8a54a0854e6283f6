"""Settings of the HTTP service (``dutyroute serve``): from arguments or ``DUTYROUTE_*`` variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import InputError

__all__ = ["ENV_PREFIX", "ServiceSettings"]

ENV_PREFIX = "DUTYROUTE_"


@dataclass(frozen=True)
class ServiceSettings:
    """How the service runs. Every field has an environment variable ``DUTYROUTE_<FIELD>``.

    Attributes:
        rules: a rules folder (``Bundle.from_dir``); None: the bundled 小京庄乡 rulebook.
        api_key: when set, every ``/v1`` and ``/open311`` request must send it in the
            ``X-API-Key`` header (Open311 requests may send the ``api_key`` field instead);
            ``/healthz``, ``/readyz`` and the OpenAPI document stay open.
        cors_origins: origins allowed by CORS (``*`` for any); empty: no CORS headers at all.
        max_body_bytes: largest request body (bytes, > 0); larger ones get 413.
        timeout_s: most seconds one request may spend routing (> 0); then 504.
        max_batch: most items of ``POST /v1/route/batch`` (1–10,000).
        access_log: write one JSON line per request to the ``dutyroute.access`` logger.
    """

    rules: str | None = None
    api_key: str | None = None
    cors_origins: tuple[str, ...] = ()
    max_body_bytes: int = 64 * 1024
    timeout_s: float = 10.0
    max_batch: int = 1000
    access_log: bool = True

    def __post_init__(self) -> None:
        if self.max_body_bytes <= 0:
            raise InputError(f"max_body_bytes must be > 0, got {self.max_body_bytes}")
        if not self.timeout_s > 0:
            raise InputError(f"timeout_s must be > 0 seconds, got {self.timeout_s}")
        if not 1 <= self.max_batch <= 10_000:
            raise InputError(f"max_batch must be 1–10000, got {self.max_batch}")
        if self.api_key is not None and not self.api_key.strip():
            raise InputError("api_key is empty: unset it (no key) or give a non-empty key")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ServiceSettings:
        """Settings from ``DUTYROUTE_RULES``, ``DUTYROUTE_API_KEY``, ``DUTYROUTE_CORS_ORIGINS``
        (comma-separated), ``DUTYROUTE_MAX_BODY_BYTES``, ``DUTYROUTE_TIMEOUT_S``,
        ``DUTYROUTE_MAX_BATCH`` and ``DUTYROUTE_ACCESS_LOG`` (``0``/``1``).

        Raises:
            InputError: a variable does not hold a number where one belongs (names it and its value).
        """
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value if value not in (None, "") else None

        def number(name: str, kind: type[int] | type[float], default: float) -> float:
            raw = get(name)
            if raw is None:
                return default
            try:
                return kind(raw)
            except ValueError:
                raise InputError(
                    f"{ENV_PREFIX}{name}={raw!r} is not a{'n integer' if kind is int else ' number'}; "
                    "fix or unset it"
                ) from None

        origins = tuple(o.strip() for o in (get("CORS_ORIGINS") or "").split(",") if o.strip())
        return cls(
            rules=get("RULES"),
            api_key=get("API_KEY"),
            cors_origins=origins,
            max_body_bytes=int(number("MAX_BODY_BYTES", int, 64 * 1024)),
            timeout_s=float(number("TIMEOUT_S", float, 10.0)),
            max_batch=int(number("MAX_BATCH", int, 1000)),
            access_log=(get("ACCESS_LOG") or "1") not in ("0", "false", "no"),
        )

    def to_env(self) -> dict[str, str]:
        """The environment variables that give these settings (for worker processes)."""
        out = {
            "MAX_BODY_BYTES": str(self.max_body_bytes),
            "TIMEOUT_S": repr(self.timeout_s),
            "MAX_BATCH": str(self.max_batch),
            "ACCESS_LOG": "1" if self.access_log else "0",
            "CORS_ORIGINS": ",".join(self.cors_origins),
        }
        if self.rules is not None:
            out["RULES"] = self.rules
        if self.api_key is not None:
            out["API_KEY"] = self.api_key
        return {ENV_PREFIX + k: v for k, v in out.items()}
