"""The HTTP service: :func:`create_app` builds the FastAPI application (``dutyroute serve`` runs it).

Endpoints (JSON; the OpenAPI document at ``/openapi.json`` has every schema and an example each):

- ``POST /v1/route`` ``{text, facts?, limit?}`` → the Decision; ``POST /v1/route/batch``
  ``{items: [{id?, text, facts?, limit?}]}`` → one result per item (a bad item gets an error in its
  place);
- ``GET /v1/matters`` (``?list=``, ``?category=``, ``?q=``), ``/v1/matters/{id}``, ``/v1/bodies``,
  ``/v1/bodies/{name}`` (aliases and close spellings resolved, as ``dutyroute who``), ``/v1/graph``
  (node-link JSON);
- ``GET /healthz`` (the process answers), ``/readyz`` (the router is loaded), ``/v1/version``;
- Open311 GeoReport v2 under ``/open311/v2`` (:mod:`dutyroute.service.open311`).

Errors: 401 (API key), 404 (unknown matter or body, with "did you mean"), 413 (body over the limit),
422 (a field is wrong: ``detail[].loc`` names it), 400 (malformed JSON: line, column, character),
504 (routing took longer than the time limit). Routing runs in worker threads; the Router is
immutable and shared.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Body, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..errors import NotFoundError
from ..graph.records import Link
from ..model.decision import Decision
from ..model.duties import Relation
from ..model.lists import ListKind, Matter
from ..routing.router import Router
from .calls import ServiceError, route_in_thread
from .middleware import AccessLog, ApiKey, BodyLimit, error_body
from .open311 import install_open311
from .schemas import (
    BatchRequest,
    BatchResponse,
    BatchResult,
    BodySummary,
    ItemError,
    MatterSummary,
    RouteRequest,
    VersionInfo,
    example_route_request,
)
from .settings import ServiceSettings

__all__ = ["ServiceError", "create_app"]

_LIST_NAMES = {"basic": ListKind.basic, "cooperative": ListKind.cooperative, "reclaimed": ListKind.reclaimed}
_LIST_LETTERS = {"B": ListKind.basic, "C": ListKind.cooperative, "R": ListKind.reclaimed}


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status_code=status, media_type="application/json")


def _decision_response(d: Decision) -> Response:
    return Response(d.model_dump_json(), media_type="application/json")


def matter_summary(router: Router, m: Matter) -> MatterSummary:
    """The list-level record of one matter (``GET /v1/matters``)."""
    rb = router.rulebook
    return MatterSummary(
        id=m.id,
        list=m.list.value,
        list_name=m.list.label,
        seq=m.seq,
        category=m.category,
        title=m.title,
        acting=[list(o.bodies) for o in router.graph.acting_options(m.id)],
        basis=rb.basis(m),
    )


def _malformed_json(exc: RequestValidationError, request: Request) -> Response | None:
    for err in exc.errors():
        if err.get("type") != "json_invalid":
            continue
        pos = err.get("loc", [None, 0])[-1]
        body = exc.body if isinstance(exc.body, str) else ""
        where = f"character {pos}"
        if isinstance(pos, int):
            head = body[:pos]
            line = head.count("\n") + 1
            column = pos - (head.rfind("\n") + 1) + 1
            where = f"line {line}, column {column} (character {pos})"
        why = (err.get("ctx") or {}).get("error", "invalid JSON")
        msg = f"malformed JSON at {where}: {why}; send one JSON object, UTF-8"
        body_out = error_body(request.url.path, 400, msg, ["body", pos], kind="json_invalid")
        return Response(body_out, 400, media_type="application/json")
    return None


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> Response:
        return Response(
            error_body(request.url.path, exc.status, exc.message, exc.loc),
            exc.status,
            media_type="application/json",
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        bad = _malformed_json(exc, request)
        if bad is not None:
            return bad
        if request.url.path.startswith("/open311"):
            first = exc.errors()[0]
            msg = f"{'.'.join(str(x) for x in first.get('loc', ()))}: {first.get('msg')}"
            return Response(error_body(request.url.path, 400, msg), 400, media_type="application/json")
        detail = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in exc.errors()]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail)
        if exc.status_code == 400 and message == "There was an error parsing the body":
            message = (
                "the body could not be read as JSON: it is not UTF-8, or it nests deeper than a JSON "
                "reader allows; send one flat JSON object in UTF-8"
            )
        return Response(
            error_body(request.url.path, exc.status_code, message),
            exc.status_code,
            media_type="application/json",
        )


def create_app(settings: ServiceSettings | None = None, *, router: Router | None = None) -> FastAPI:
    """Build the service.

    Args:
        settings: limits, API key, CORS, rules folder (default: :meth:`ServiceSettings.from_env`).
        router: an already built Router to serve (default: from ``settings.rules``, or the bundled one).

    Returns:
        The FastAPI application (ASGI); run it with uvicorn or ``dutyroute serve``.

    Raises:
        InputError, RuleFileError: the rules folder cannot be loaded.
    """
    settings = settings or ServiceSettings.from_env()
    if router is None:
        router = Router.from_dir(settings.rules) if settings.rules else Router.default()
    app = FastAPI(
        title="dutyroute",
        version=__version__,
        summary="Who must act on an incident in a Chinese township, from its official duty lists.",
        description=(
            f"Serving {router.rulebook.jurisdiction.county}{router.rulebook.jurisdiction.township} "
            f"({len(router.rulebook.matters)} matters). Every answer cites the list item (派单依据)."
        ),
    )
    app.state.router = router
    app.state.settings = settings
    _install_errors(app)
    _install_v1(app, router, settings)
    install_open311(app, router, settings)

    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
        )
    app.add_middleware(ApiKey, key=settings.api_key)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(AccessLog, enabled=settings.access_log)
    return app


def _link_dict(link: Link) -> dict[str, Any]:
    return link.to_dict()


def _install_v1(app: FastAPI, router: Router, settings: ServiceSettings) -> None:
    """Every ``/v1`` endpoint and the health checks, grouped as the OpenAPI tags group them."""
    _install_health(app, router)
    _install_routing(app, router, settings)
    _install_lists(app, router)


def _install_health(app: FastAPI, router: Router) -> None:
    """``/healthz``, ``/readyz`` and ``/v1/version``."""
    rb = router.rulebook

    @app.get(
        "/healthz",
        tags=["service"],
        responses={200: {"content": {"application/json": {"example": {"status": "ok"}}}}},
    )
    def healthz() -> dict[str, str]:
        """The process answers."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["service"],
        responses={
            200: {
                "content": {"application/json": {"example": {"status": "ready", "matters": len(rb.matters)}}}
            },
            503: {"description": "not ready"},
        },
    )
    def readyz(request: Request) -> Response:
        """The router is loaded and answers."""
        r: Router | None = getattr(request.app.state, "router", None)
        if r is None:
            return _json({"status": "not ready"}, 503)
        return _json({"status": "ready", "matters": len(r.rulebook.matters)})

    version_example = {
        "package": __version__,
        "jurisdiction": rb.jurisdiction.key,
        "rulebook_hash": rb.hash,
        "model_hash": router.recognizer.hash if router.recognizer is not None else None,
        "matters": len(rb.matters),
    }

    @app.get(
        "/v1/version",
        tags=["service"],
        response_model=VersionInfo,
        responses={200: {"content": {"application/json": {"example": version_example}}}},
    )
    def version() -> VersionInfo:
        """The package version, the rulebook's hash and the recognizer's (null without one)."""
        return VersionInfo(**version_example)  # type: ignore[arg-type]


def _install_routing(app: FastAPI, router: Router, settings: ServiceSettings) -> None:
    """``POST /v1/route`` and ``POST /v1/route/batch``."""
    example = router.route("县道塌了个坑，晚上骑车差点摔了", limit=2).model_dump(mode="json")

    @app.post(
        "/v1/route",
        tags=["routing"],
        response_model=Decision,
        responses={
            200: {"content": {"application/json": {"example": example}}},
            422: {"description": "a field is wrong (detail[].loc names it)"},
            504: {"description": "routing exceeded the time limit"},
        },
    )
    async def route(req: RouteRequest = Body(openapi_examples=example_route_request())) -> Response:  # noqa: B008
        """Route one incident: the acting body, the cooperating bodies, reclaimed or not, and the basis."""
        return _decision_response(await route_in_thread(router, settings, req))

    batch_example = {
        "items": [
            {"index": 0, "id": "t1", "status": "ok", "decision": example, "error": None},
            {
                "index": 1,
                "id": "t2",
                "status": "error",
                "decision": None,
                "error": {"type": "IncidentTextError", "message": "the text is empty after normalisation"},
            },
        ],
        "routed": 1,
        "errors": 1,
    }

    @app.post(
        "/v1/route/batch",
        tags=["routing"],
        response_model=BatchResponse,
        responses={200: {"content": {"application/json": {"example": batch_example}}}},
    )
    async def route_batch(
        req: BatchRequest = Body(  # noqa: B008
            openapi_examples={
                "two": {
                    "summary": "Two incidents",
                    "value": {
                        "items": [
                            {"id": "t1", "text": "县道塌了个坑"},
                            {"id": "t2", "text": "有人在地里烧秸秆"},
                        ]
                    },
                }
            }
        ),
    ) -> Response:
        """Route up to ``max_batch`` incidents (1,000 by default); a bad item gets an error in its place."""
        if len(req.items) > settings.max_batch:
            raise ServiceError(
                422,
                f"{len(req.items)} items; at most {settings.max_batch} per request: split the batch",
                ["body", "items"],
            )
        out: list[BatchResult] = []
        for i, item in enumerate(req.items):
            try:
                d = await route_in_thread(router, settings, item)
                out.append(BatchResult(index=i, id=item.id, status="ok", decision=d))
            except ServiceError as exc:
                if exc.status == 504:
                    raise
                kind = "IncidentTextError" if exc.loc[-1:] == ["text"] else "NotFoundError"
                out.append(
                    BatchResult(
                        index=i, id=item.id, status="error", error=ItemError(type=kind, message=exc.message)
                    )
                )
        resp = BatchResponse(
            items=out, routed=sum(r.status == "ok" for r in out), errors=sum(r.status == "error" for r in out)
        )
        return Response(resp.model_dump_json(), media_type="application/json")


def _install_lists(app: FastAPI, router: Router) -> None:
    """The lists and the graph: ``/v1/matters``, ``/v1/bodies`` and ``/v1/graph``."""
    _install_matters(app, router)
    _install_bodies(app, router)


def _matching(m: Matter, kind: ListKind | None, category: str | None, q: str | None) -> bool:
    """Whether ``m`` passes the filters of ``GET /v1/matters`` (list, 事项类别, text in title or a clause)."""
    if (kind is not None and m.list is not kind) or (category is not None and m.category != category):
        return False
    if not q:
        return True
    clauses = [*m.township_clauses, *(c for b in (*m.departments, *m.receivers) for c in b.clauses)]
    return q in m.title or any(q in c for c in clauses)


def _install_matters(app: FastAPI, router: Router) -> None:
    """``/v1/matters`` and ``/v1/matters/{matter_id}``."""
    rb = router.rulebook
    rg = router.graph

    def _matter_or_404(matter_id: str) -> Matter:
        try:
            return rg.matter(matter_id)[1]
        except NotFoundError as exc:
            from ..model.lists import suggest_matters

            raise ServiceError(
                404,
                str(NotFoundError("matter", matter_id, suggest_matters(rb, matter_id)[:3])),
                ["path", "matter_id"],
            ) from exc

    summary_example = matter_summary(router, rb.matters[0]).model_dump(mode="json")

    @app.get(
        "/v1/matters",
        tags=["lists"],
        response_model=list[MatterSummary],
        responses={200: {"content": {"application/json": {"example": [summary_example]}}}},
    )
    def matters(
        list_: str | None = Query(
            None, alias="list", description="basic | cooperative | reclaimed (or B / C / R)."
        ),
        category: str | None = Query(None, description="事项类别, exactly (e.g. 生态环保)."),
        q: str | None = Query(None, max_length=200, description="Text that the title or a clause contains."),
    ) -> Response:
        """The matters of the lists, in list order, optionally filtered."""
        kind = None
        if list_ is not None:
            kind = _LIST_NAMES.get(list_) or _LIST_LETTERS.get(list_.upper())
            if kind is None:
                raise ServiceError(
                    422,
                    f"list {list_!r}: use basic, cooperative or reclaimed (or B, C, R)",
                    ["query", "list"],
                )
        return _json(
            [
                matter_summary(router, m).model_dump(mode="json")
                for m in rb.matters
                if _matching(m, kind, category, q)
            ]
        )

    @app.get("/v1/matters/{matter_id}", tags=["lists"])
    def matter(matter_id: str = Path(description="Matter id: B96, C40, R50.", examples=["C62"])) -> Response:
        """One matter's full record: every body's relation and clauses, the basis (``dutyroute matter``)."""
        m = _matter_or_404(matter_id)
        return _json(
            {
                "jurisdiction": rb.jurisdiction.key,
                "basis": rb.basis(m),
                "rulebook_hash": rb.hash,
                "matter": m.model_dump(mode="json"),
                "links": [_link_dict(lk) for lk in rg.bodies_of(m.id)],
            }
        )


def _install_bodies(app: FastAPI, router: Router) -> None:
    """``/v1/bodies``, ``/v1/bodies/{name}`` and ``/v1/graph``."""
    rb = router.rulebook
    rg = router.graph

    def _body_summary(name: str) -> BodySummary:
        match = rg.resolve_body(name)
        links = rg.matters_of(match.body)
        return BodySummary(
            id=match.body.id,
            name=match.body.name,
            kind=match.body.kind.value,
            parent=match.body.parent,
            aliases=list(match.body.aliases),
            counts={r.value: n for r in Relation if (n := sum(lk.relation is r for lk in links))},
        )

    @app.get(
        "/v1/bodies",
        tags=["lists"],
        response_model=list[BodySummary],
        responses={
            200: {
                "content": {
                    "application/json": {"example": [_body_summary(rb.jurisdiction.township).model_dump()]}
                }
            }
        },
    )
    def bodies() -> Response:
        """Every body of the rulebook with its matter counts per relation."""
        return _json([_body_summary(b.name).model_dump(mode="json") for b in rb.bodies])

    @app.get("/v1/bodies/{name}", tags=["lists"])
    def body(
        name: str = Path(description="Canonical name, alias or close spelling.", examples=["县交通运输局"]),
    ) -> Response:
        """The matters a body is answerable for, by relation (as ``dutyroute who --json``)."""
        try:
            match = rg.resolve_body(name)
        except NotFoundError as exc:
            raise ServiceError(404, str(exc), ["path", "name"]) from None
        from ..graph.records import who_record

        return _json(who_record(match, rg.matters_of(match.body)))

    nl = rg.node_link()
    graph_example = {k: (v[:2] if isinstance(v, list) else v) for k, v in nl.items()}

    @app.get(
        "/v1/graph",
        tags=["lists"],
        responses={200: {"content": {"application/json": {"example": graph_example}}}},
    )
    def graph() -> Response:
        """The matter ↔ body graph as node-link JSON (networkx ``node_link_data``)."""
        return _json(rg.node_link())
