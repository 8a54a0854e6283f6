"""The HTTP service (the ``[server]`` extra: FastAPI + uvicorn): ``dutyroute serve``.

``create_app(settings)`` builds the ASGI application over one Router (the same loading seam as the
CLI: :meth:`dutyroute.store.bundle.Bundle.from_dir`); :mod:`.app` has the ``/v1`` routes,
:mod:`.open311` the Open311 GeoReport v2 ones, :mod:`.middleware` the limits, API key and access log.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import ServiceSettings

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ServiceSettings", "app_from_env", "create_app"]


def create_app(settings: ServiceSettings | None = None, **kwargs: Any) -> FastAPI:
    """Build the service (see :func:`dutyroute.service.app.create_app`).

    Raises:
        ExtraMissingError: FastAPI is not installed (``pip install 'dutyroute[server]'``).
    """
    try:
        from .app import create_app as build
    except ImportError as exc:
        if exc.name not in ("fastapi", "starlette", "anyio", "pydantic_core"):
            raise
        from ..errors import ExtraMissingError

        raise ExtraMissingError("the HTTP service", "server", "fastapi") from None
    return build(settings, **kwargs)


def app_from_env() -> FastAPI:
    """The service configured by ``DUTYROUTE_*`` variables (uvicorn's factory for ``--workers``)."""
    return create_app(ServiceSettings.from_env())
