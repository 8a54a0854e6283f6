"""Routing a request within the service's limits, and the error the service answers with."""

from __future__ import annotations

from typing import Any

import anyio

from ..errors import IncidentTextError, NotFoundError
from ..model.decision import Decision
from ..routing.router import Router
from .schemas import RouteRequest
from .settings import ServiceSettings

__all__ = ["ServiceError", "route_in_thread"]


class ServiceError(Exception):
    """An error answered as JSON: status, message, and where in the request it is (``loc``)."""

    def __init__(self, status: int, message: str, loc: list[Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.loc = status, message, loc or []


async def route_in_thread(router: Router, settings: ServiceSettings, req: RouteRequest) -> Decision:
    """Route one request in a worker thread within the time limit.

    Raises:
        ServiceError: 422 naming the field (text too long after normalisation, unknown fact), 504
            when routing exceeds ``settings.timeout_s``.
    """
    try:
        with anyio.fail_after(settings.timeout_s):
            return await anyio.to_thread.run_sync(
                lambda: router.route(req.text, facts=req.facts, limit=req.limit), abandon_on_cancel=True
            )
    except TimeoutError:
        raise ServiceError(
            504, f"routing took longer than {settings.timeout_s:g} s; send a shorter text"
        ) from None
    except IncidentTextError as exc:
        raise ServiceError(422, str(exc), ["body", "text"]) from None
    except NotFoundError as exc:
        raise ServiceError(422, str(exc), ["body", "facts", exc.value]) from None
    except TypeError as exc:
        raise ServiceError(422, str(exc), ["body"]) from None
