"""Open311 GeoReport v2 over the lists (``/open311/v2``): each matter is a service.

- ``GET /open311/v2/services.json``: every matter as a service — ``service_code`` = matter id,
  ``service_name`` = its title (事项名称), ``group`` = list and category, ``keywords``, ``metadata``
  (true when a deciding fact can change who acts), ``type`` = ``realtime``;
- ``GET /open311/v2/services/{code}.json``: the service definition — the deciding facts of that
  matter as ``singlevaluelist`` attributes (code = fact name, values = its answers);
- ``POST /open311/v2/requests.json``: form fields as the spec names them (``service_code``,
  ``description``, ``attribute[<fact>]``, ``lat``, ``long``, ``address_string``, ``email``, …,
  ``api_key``); JSON is accepted too. Without a ``service_code`` the description is routed. Answers
  ``[{service_request_id, service_notice, account_id, agency_responsible, service_code}]``: the
  acting bodies and the basis (派单依据). dutyroute decides; it does not store requests, so
  ``GET /open311/v2/requests.json`` answers 501.

Errors are the spec's ``[{"code": <status>, "description": "…"}]``. Only the ``.json`` format is
served (``.xml`` → 400).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from fastapi import FastAPI, Path, Request
from fastapi.responses import Response

from ..errors import NotFoundError
from ..model.decision import Decision
from ..model.lists import Matter, Rulebook
from ..routing.router import MAX_RAW_CHARS, Router
from .calls import ServiceError, route_in_thread
from .schemas import RouteRequest, refuse_lone_surrogates
from .settings import ServiceSettings

__all__ = ["deciding_facts", "install_open311"]

_FIELDS = (
    "api_key",
    "service_code",
    "description",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "media_url",
    "jurisdiction_id",
)


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status_code=status, media_type="application/json")


def deciding_facts(router: Router) -> dict[str, list[str]]:
    """For each matter id, the names of the facts whose answer can move an incident to or from it
    (from the contrasts of ``rules/routing.yaml``), in the order of ``rules/facts.yaml``."""
    order = {f.name: i for i, f in enumerate(router.rules.facts)}
    out: dict[str, set[str]] = {}
    for c in router.rules.contrasts:
        for _value, targets in c.routes:
            for t in targets:
                out.setdefault(t.matter, set()).add(c.fact)
    return {m: sorted(fs, key=lambda f: order.get(f, len(order))) for m, fs in out.items()}


def _service(router: Router, m: Matter, facts: dict[str, list[str]]) -> dict[str, Any]:
    group = f"{m.list.label} · {m.category}" if m.category else m.list.label
    role = next((b.name for b in router.rulebook.bodies if b.id == m.role), None) if m.role else None
    acting = [b for o in router.graph.acting_options(m.id) for b in o.bodies]
    keywords = [m.category, *acting, *([role] if role else [])]
    return {
        "service_code": m.id,
        "service_name": m.title,
        "description": router.rulebook.basis(m),
        "metadata": bool(facts.get(m.id)),
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys(k for k in keywords if k)),
        "group": group,
    }


def _definition(router: Router, m: Matter, facts: dict[str, list[str]]) -> dict[str, Any]:
    specs = {f.name: f for f in router.rules.facts}
    attributes = []
    for order, name in enumerate(facts.get(m.id, []), 1):
        spec = specs[name]
        attributes.append(
            {
                "variable": True,
                "code": name,
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": spec.label,
                "order": order,
                "description": spec.question,
                "values": [{"key": v.value, "name": v.label} for v in spec.values],
            }
        )
    return {"service_code": m.id, "attributes": attributes}


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ServiceError(400, f"request body is not UTF-8 (byte {exc.start}); send UTF-8") from None
    if ctype == "application/json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ServiceError(400, f"malformed JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ServiceError(400, "send the request fields as one JSON object or as a form")
        return {
            str(k): v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in data.items()
        }
    if ctype not in ("application/x-www-form-urlencoded", ""):
        raise ServiceError(415, f"content type {ctype!r}: send application/x-www-form-urlencoded (or JSON)")
    try:
        pairs = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except ValueError as exc:
        raise ServiceError(400, f"form fields: {exc}") from None
    return {k: v[-1] for k, v in pairs.items()}


def _notice(d: Decision) -> str:
    if d.status == "routed":
        who = "、".join(d.acting)
        coop = f"；配合：{'、'.join(d.cooperating)}" if d.cooperating else ""
        back = "（上级部门已收回）" if d.reclaimed else ""
        return f"{d.basis}：由{who}办理{back}{coop}"
    if d.status == "needs_clarification" and d.clarify is not None:
        options = "；".join(f"{o.value} → {o.matter} {'、'.join(o.acting)}" for o in d.clarify.options)
        return f"需确认：{d.clarify.question}（{options}）"
    return "三张清单均未列此事项（不属乡镇及县级部门清单事项），请按其他渠道转办"


def install_open311(app: FastAPI, router: Router, settings: ServiceSettings) -> None:
    """Add the Open311 GeoReport v2 routes to ``app`` (see the module docstring)."""
    _install_services(app, router)
    _install_requests(app, router, settings)


def _install_services(app: FastAPI, router: Router) -> None:
    """``GET services.json`` and ``GET services/{code}.json``: the matters as Open311 services."""
    rb = router.rulebook
    facts = deciding_facts(router)
    services = [_service(router, m, facts) for m in rb.matters]
    by_id = {m.id: m for m in rb.matters}
    example_def = _definition(router, by_id.get("C62", rb.matters[0]), facts)

    @app.get(
        "/open311/v2/services.{fmt}",
        tags=["open311"],
        responses={200: {"content": {"application/json": {"example": services[:2]}}}},
    )
    def service_list(fmt: str = Path(description="json")) -> Response:
        """Every matter as an Open311 service."""
        _only_json(fmt)
        return _json(services)

    @app.get(
        "/open311/v2/services/{code}.{fmt}",
        tags=["open311"],
        responses={200: {"content": {"application/json": {"example": example_def}}}},
    )
    def service_definition(
        code: str = Path(examples=["C62"]), fmt: str = Path(description="json")
    ) -> Response:
        """The deciding facts of one matter as typed attributes."""
        _only_json(fmt)
        m = by_id.get(code)
        if m is None:
            from ..model.lists import suggest_matters

            raise ServiceError(404, str(NotFoundError("service_code", code, suggest_matters(rb, code)[:3])))
        return _json(_definition(router, m, facts))


_POST_EXAMPLE = [
    {
        "service_request_id": "8f14e45fceea167a5a36dedd4bea2543",
        "service_notice": "《大同市左云县小京庄乡配合履职事项清单》第62项 道路及其附属设施安全管理："
        "由县交通运输局办理；配合：小京庄乡",
        "account_id": None,
        "agency_responsible": "县交通运输局",
        "service_code": "C62",
    }
]
_POST_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {"example": _POST_EXAMPLE}}},
    400: {
        "content": {"application/json": {"example": [{"code": 400, "description": "description: required"}]}}
    },
}
_POST_BODY = {
    "requestBody": {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {k: {"type": "string"} for k in _FIELDS}
                    | {"attribute[road_class]": {"type": "string"}},
                },
                "example": {"description": "县道塌了个坑", "address_string": "小京庄乡某村"},
            }
        }
    }
}
_NOT_STORED = "dutyroute routes service requests but does not store them"
_GET_RESPONSES: dict[int | str, dict[str, Any]] = {
    501: {"content": {"application/json": {"example": [{"code": 501, "description": _NOT_STORED}]}}}
}


def _read_form(
    form: Mapping[str, str], required_key: str | None, rb: Rulebook, by_id: Mapping[str, Matter]
) -> tuple[str | None, str, dict[str, str]]:
    """The service code (a matter id, or None to route), the description and the ``attribute[…]``
    facts of a request form.

    Raises:
        ServiceError: 401 without the right api_key, 404 for an unknown service_code, 400 without a
            description (and no code), with one over MAX_RAW_CHARS, with a lone surrogate in a
            field, or with a ``lat``/``long`` that is no number of degrees in range.
    """
    if required_key is not None:
        sent = form.get("api_key")
        if not sent or not secrets.compare_digest(sent.encode(), required_key.encode()):
            raise ServiceError(401, "missing or wrong api_key (form field or X-API-Key header)")
    try:
        refuse_lone_surrogates((k, str(v)) for k, v in form.items())
    except ValueError as exc:
        raise ServiceError(400, str(exc)) from None
    for key, bound in (("lat", 90.0), ("long", 180.0)):  # not used to route, but not accepted as nonsense
        raw = (form.get(key) or "").strip()
        if raw:
            try:
                degrees = float(raw)
            except ValueError:
                raise ServiceError(
                    400, f"{key}: {raw[:40]!r} is not a number; send decimal degrees"
                ) from None
            if not -bound <= degrees <= bound:  # NaN and infinities fail this too
                raise ServiceError(400, f"{key}: {raw[:40]!r} is outside -{bound:g}…{bound:g} degrees")
    code = (form.get("service_code") or "").strip() or None
    text = (form.get("description") or "").strip()
    attrs = {
        k[len("attribute[") : -1]: v
        for k, v in form.items()
        if k.startswith("attribute[") and k.endswith("]")
    }
    if code is not None and code not in by_id:
        from ..model.lists import suggest_matters

        raise ServiceError(404, str(NotFoundError("service_code", code, suggest_matters(rb, code)[:3])))
    if not text and code is None:
        raise ServiceError(400, "description: required when no service_code is given (the text to route)")
    if len(text) > MAX_RAW_CHARS:
        raise ServiceError(400, f"description: {len(text)} characters; at most {MAX_RAW_CHARS}")
    return code, text, attrs


def _install_requests(app: FastAPI, router: Router, settings: ServiceSettings) -> None:
    """``POST requests.json``: a service request routed (or filed under the code it names)."""
    rb = router.rulebook
    by_id = {m.id: m for m in rb.matters}

    @app.post(
        "/open311/v2/requests.{fmt}", tags=["open311"], responses=_POST_RESPONSES, openapi_extra=_POST_BODY
    )
    async def post_request(request: Request, fmt: str = Path(description="json")) -> Response:
        """Submit a service request: routed (without service_code) or decided for the given matter."""
        _only_json(fmt)
        form = await _form(request)
        code, text, attrs = _read_form(
            form, request.scope.get("state", {}).get("api_key_required"), rb, by_id
        )
        account = form.get("account_id") or None
        rid = uuid.uuid4().hex
        if code is not None:
            m = by_id[code]
            options = router.graph.acting_options(m.id)
            acting = list(options[0].bodies) if options else []
            if text:
                d = await route_in_thread(router, settings, RouteRequest(text=text, facts=attrs or None))
                if d.status == "routed" and d.matter == code:
                    acting = list(d.acting)
            notice = f"{rb.basis(m)}：由{'、'.join(acting)}办理"
            agency: str | None = "、".join(acting)
        else:
            d = await route_in_thread(router, settings, RouteRequest(text=text, facts=attrs or None))
            notice, code = _notice(d), d.matter
            agency = "、".join(d.acting) if d.status == "routed" else None
        return _json(
            [
                {
                    "service_request_id": rid,
                    "service_notice": notice,
                    "account_id": account,
                    "agency_responsible": agency,
                    "service_code": code,
                }
            ]
        )

    @app.get("/open311/v2/requests.{fmt}", tags=["open311"], status_code=501, responses=_GET_RESPONSES)
    def get_requests(fmt: str = Path(description="json")) -> Response:
        """Not served: dutyroute decides who acts but keeps no requests (ask the case system)."""
        _only_json(fmt)
        raise ServiceError(501, f"{_NOT_STORED}; query the case system")


def _only_json(fmt: str) -> None:
    if fmt != "json":
        raise ServiceError(400, f"format {fmt!r} is not served; use .json")
