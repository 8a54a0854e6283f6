"""The HTTP service: every /v1 and Open311 endpoint, each error it answers, and a real uvicorn process."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from dutyroute.errors import InputError
from dutyroute.model.decision import Decision
from dutyroute.service.settings import ServiceSettings

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

# the server extra, looked up rather than imported: FastAPI and the app load when a test here runs,
# so the xdist worker that runs none of them does not pay for importing them at collection
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("fastapi") is None, reason="the server extra (fastapi) is not installed"
)


def _app(settings: ServiceSettings, router: Any) -> TestClient:
    """An in-process client of the service built with ``settings`` over ``router``."""
    from fastapi.testclient import TestClient

    from dutyroute.service import create_app

    return TestClient(create_app(settings, router=router))


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def client(router) -> TestClient:  # type: ignore[no-untyped-def]
    return _app(ServiceSettings(access_log=False), router)


@pytest.fixture(scope="module")
def keyed(router) -> TestClient:  # type: ignore[no-untyped-def]
    return _app(ServiceSettings(access_log=False, api_key="s3cret"), router)


def test_route_returns_the_decision_the_library_gives(client: TestClient, router) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/v1/route", json={"text": "县道塌了个坑，晚上骑车差点摔了", "limit": 2})
    assert r.status_code == 200
    body = r.json()
    assert body == router.route("县道塌了个坑，晚上骑车差点摔了", limit=2).model_dump(mode="json")
    Decision.model_validate(body)
    assert body["basis"] and body["acting"]


def test_route_with_facts_changes_the_route(client: TestClient) -> None:
    village = client.post(
        "/v1/route", json={"text": "路上有个大坑没人修", "facts": {"road_class": "村道"}}
    ).json()
    county = client.post(
        "/v1/route", json={"text": "路上有个大坑没人修", "facts": {"road_class": "县道"}}
    ).json()
    assert village["matter"] != county["matter"]
    assert county["acting"] == ["县交通运输局"]


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"text": "x" * 20_001}, ["body", "text"]),  # over the raw limit
        ({"text": "路" * 6000}, ["body", "text"]),  # over the limit after normalisation
        ({"text": ""}, ["body", "text"]),
        ({"text": "路上有坑", "facts": {"road_clas": "县道"}}, ["body", "facts", "road_clas"]),
        ({"text": "路上有坑", "limit": -1}, ["body", "limit"]),
        ({"text": "路上有坑", "colour": "red"}, ["body", "colour"]),
        ({"txt": "路上有坑"}, ["body", "text"]),
    ],
)
def test_bad_fields_get_422_naming_the_field(client: TestClient, payload: dict, loc: list) -> None:
    r = client.post("/v1/route", json=payload)
    assert r.status_code == 422, r.text
    assert any(d["loc"][: len(loc)] == loc for d in r.json()["detail"]), r.json()


def test_unknown_fact_suggests_the_right_name(client: TestClient) -> None:
    r = client.post("/v1/route", json={"text": "路上有坑", "facts": {"road_clas": "县道"}})
    assert "road_class" in r.json()["detail"][0]["msg"]


def test_malformed_json_says_where_it_broke(client: TestClient) -> None:
    r = client.post(
        "/v1/route", content=b'{"text": "abc",\n "x": }', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    d = r.json()["detail"][0]
    assert d["type"] == "json_invalid"
    assert "line 2, column 7" in d["msg"]


@pytest.mark.parametrize(
    ("path", "raw", "status"),
    [
        ("/v1/route", b'{"text": "\\u8def\\u9762", "facts": {"\\ud800": "x"}}', 422),
        ("/v1/route", b'{"text": "\\u8def\\u9762", "facts": {"road_class": "\\ud800"}}', 422),
        ("/v1/route/batch", b'{"items": [{"id": "\\udc00", "text": "\\u70e7"}]}', 422),
        ("/open311/v2/requests.json", b'{"description": "\\ud800\\u70e7"}', 400),
    ],
    ids=["fact name", "fact value", "batch id", "open311 description"],
)
def test_a_lone_surrogate_anywhere_is_the_clients_error_not_a_500(
    client: TestClient, path: str, raw: bytes, status: int
) -> None:
    """JSON's \\ud800 escape carries a lone surrogate that no UTF-8 response can hold."""
    r = client.post(path, content=raw, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert "lone surrogate (U+D" in r.text


@pytest.mark.parametrize(
    "raw",
    [b'{"text": "\xff\xfe"}', b'{"text":' + b"[" * 20000 + b"]" * 20000 + b"}"],
    ids=["not-utf8", "deep"],
)
def test_unreadable_bodies_get_400_saying_why(client: TestClient, raw: bytes) -> None:
    r = client.post("/v1/route", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "UTF-8" in r.json()["detail"][0]["msg"]


def test_body_over_the_limit_gets_413_declared_or_streamed(router) -> None:  # type: ignore[no-untyped-def]
    c = _app(ServiceSettings(access_log=False, max_body_bytes=1000), router)
    big = json.dumps({"text": "县道塌了" * 400}).encode()
    assert c.post("/v1/route", content=big, headers={"content-type": "application/json"}).status_code == 413

    def chunks():  # no Content-Length: the limit counts what is read
        for _ in range(10):
            yield b" " * 500

    r = c.post("/v1/route", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert "1000 bytes" in r.json()["detail"][0]["msg"]


def test_batch_gives_an_error_item_in_place_of_a_bad_one(client: TestClient) -> None:
    r = client.post(
        "/v1/route/batch",
        json={
            "items": [
                {"id": "a", "text": "县道塌了个坑"},
                {"id": 2, "text": "。。。"},
                {"text": "有人在地里烧秸秆"},
            ]
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert [i["status"] for i in body["items"]] == ["ok", "error", "ok"]
    assert [i["id"] for i in body["items"]] == ["a", 2, None]
    assert body["items"][1]["error"]["type"] == "IncidentTextError"
    assert body["items"][2]["decision"]["matter"] == "B96"
    assert (body["routed"], body["errors"]) == (2, 1)


def test_batch_over_the_item_limit_is_refused(router) -> None:  # type: ignore[no-untyped-def]
    c = _app(ServiceSettings(access_log=False, max_batch=2), router)
    r = c.post("/v1/route/batch", json={"items": [{"text": "县道塌了个坑"}] * 3})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "items"]


def test_routing_over_the_time_limit_gets_504(router) -> None:  # type: ignore[no-untyped-def]
    class Slow:
        def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
            return getattr(router, name)

        def route(self, text, **kw):  # type: ignore[no-untyped-def]
            time.sleep(0.5)
            return router.route(text, **kw)

    c = _app(ServiceSettings(access_log=False, timeout_s=0.05), Slow())
    r = c.post("/v1/route", json={"text": "县道塌了个坑"})
    assert r.status_code == 504
    assert "0.05 s" in r.json()["detail"][0]["msg"]


def test_matters_list_filters_and_one_matter(client: TestClient) -> None:
    every = client.get("/v1/matters").json()
    assert len(every) == 237
    assert {m["list"] for m in every} == {"basic", "cooperative", "reclaimed"}
    reclaimed = client.get("/v1/matters", params={"list": "R"}).json()
    assert len(reclaimed) == 51 and all(m["id"].startswith("R") for m in reclaimed)
    assert client.get("/v1/matters", params={"list": "cooperative"}).json()[0]["id"] == "C1"
    straw = client.get("/v1/matters", params={"q": "秸秆"}).json()
    assert "B96" in [m["id"] for m in straw]
    cat = every[0]["category"]
    assert all(m["category"] == cat for m in client.get("/v1/matters", params={"category": cat}).json())
    assert client.get("/v1/matters", params={"list": "X"}).status_code == 422
    one = client.get("/v1/matters/C62").json()
    assert one["matter"]["id"] == "C62" and "第62项" in one["basis"]
    assert any(lk["body"] == "县交通运输局" for lk in one["links"])


def test_unknown_matter_and_body_get_404_with_suggestions(client: TestClient) -> None:
    r = client.get("/v1/matters/C99")
    assert r.status_code == 404 and "did you mean" in r.json()["detail"][0]["msg"]
    r = client.get("/v1/bodies/火星局")
    assert r.status_code == 404


def test_bodies_and_aliases(client: TestClient) -> None:
    names = {b["name"] for b in client.get("/v1/bodies").json()}
    assert {"小京庄乡", "县交通运输局", "县公安局"} <= names
    who = client.get("/v1/bodies/县农业农村局").json()  # an alias in the seed
    assert who["body"]["name"] == "县农业农村和水务局" and who["resolved_by"] == "alias"
    assert who["counts"]["leads"] > 0


def test_graph_version_and_probes(client: TestClient, router) -> None:  # type: ignore[no-untyped-def]
    g = client.get("/v1/graph").json()
    assert len([n for n in g["nodes"] if n.get("kind") == "matter" or str(n["id"]).count(":")]) >= 237
    v = client.get("/v1/version").json()
    assert v["rulebook_hash"] == router.rulebook.hash and v["matters"] == 237
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json()["status"] == "ready"


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    assert client.get("/healthz", headers={"x-request-id": "abc-1"}).headers["x-request-id"] == "abc-1"
    assert len(client.get("/healthz").headers["x-request-id"]) == 32


def test_access_log_is_one_json_line_per_request(router, caplog) -> None:  # type: ignore[no-untyped-def]
    c = _app(ServiceSettings(), router)
    with caplog.at_level("INFO", logger="dutyroute.access"):
        c.post("/v1/route", json={"text": "县道塌了个坑"}, headers={"x-request-id": "r-7"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "dutyroute.access"]
    assert (
        lines[-1]["request_id"] == "r-7" and lines[-1]["status"] == 200 and lines[-1]["path"] == "/v1/route"
    )


def test_api_key_guards_everything_but_probes_and_openapi(keyed: TestClient) -> None:
    assert keyed.post("/v1/route", json={"text": "县道塌了个坑"}).status_code == 401
    assert (
        keyed.post("/v1/route", json={"text": "县道塌了个坑"}, headers={"x-api-key": "wrong"}).status_code
        == 401
    )
    assert (
        keyed.post("/v1/route", json={"text": "县道塌了个坑"}, headers={"x-api-key": "s3cret"}).status_code
        == 200
    )
    assert keyed.get("/v1/matters").status_code == 401
    assert keyed.get("/open311/v2/services.json").json()[0]["code"] == 401
    for open_path in ("/healthz", "/readyz", "/openapi.json"):
        assert keyed.get(open_path).status_code == 200
    form = {"description": "县道塌了个坑"}
    assert keyed.post("/open311/v2/requests.json", data=form).status_code == 401
    assert keyed.post("/open311/v2/requests.json", data=form | {"api_key": "s3cret"}).status_code == 200


def test_cors_is_off_unless_configured(client: TestClient, router) -> None:  # type: ignore[no-untyped-def]
    pre = {"origin": "https://dispatch.example", "access-control-request-method": "POST"}
    assert "access-control-allow-origin" not in client.options("/v1/route", headers=pre).headers
    c = _app(ServiceSettings(access_log=False, cors_origins=("https://dispatch.example",)), router)
    assert (
        c.options("/v1/route", headers=pre).headers["access-control-allow-origin"]
        == "https://dispatch.example"
    )


def test_openapi_has_the_decision_schema_and_an_example_on_every_route(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "Decision" in doc["components"]["schemas"]
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            content = json.dumps(op.get("responses", {})) + json.dumps(op.get("requestBody", {}))
            params = json.dumps(op.get("parameters", []))
            assert '"example' in content or '"examples"' in params, f"{method.upper()} {path} has no example"


def test_open311_services_and_definitions(client: TestClient, router) -> None:  # type: ignore[no-untyped-def]
    services = client.get("/open311/v2/services.json").json()
    assert len(services) == 237
    c62 = next(s for s in services if s["service_code"] == "C62")
    assert (
        c62["service_name"]
        == router.rulebook.matters[[m.id for m in router.rulebook.matters].index("C62")].title
    )
    assert c62["group"].startswith("配合履职事项清单") and c62["metadata"] is True
    d = client.get("/open311/v2/services/C62.json").json()
    attr = d["attributes"][0]
    assert attr["code"] == "road_class" and attr["datatype"] == "singlevaluelist"
    assert {"key": "县道", "name": "县道"} in attr["values"]
    from dutyroute.service.open311 import deciding_facts

    assert all(isinstance(v, list) for v in deciding_facts(router).values())
    assert client.get("/open311/v2/services/C999.json").json()[0]["code"] == 404
    assert client.get("/open311/v2/services.xml").json() == [
        {"code": 400, "description": "format 'xml' is not served; use .json"}
    ]


def test_open311_request_routes_the_description(client: TestClient) -> None:
    r = client.post(
        "/open311/v2/requests.json", data={"description": "有人在地里烧秸秆", "lat": "40.0", "long": "112.7"}
    )
    assert r.status_code == 200
    (answer,) = r.json()
    assert answer["service_code"] == "B96" and answer["agency_responsible"] == "小京庄乡"
    assert "第96项" in answer["service_notice"] and len(answer["service_request_id"]) == 32
    fact = client.post(
        "/open311/v2/requests.json",
        data={"description": "路上有个大坑没人修", "attribute[road_class]": "县道"},
    ).json()[0]
    assert fact["agency_responsible"] == "县交通运输局"
    given = client.post("/open311/v2/requests.json", data={"service_code": "C62", "account_id": "u1"}).json()[
        0
    ]
    assert given["agency_responsible"] == "县交通运输局" and given["account_id"] == "u1"
    unmatched = client.post(
        "/open311/v2/requests.json", data={"description": "我的信用卡被盗刷了，银行不管"}
    ).json()[0]
    assert unmatched["agency_responsible"] is None and "未列" in unmatched["service_notice"]


def test_open311_errors_are_code_description_lists(client: TestClient) -> None:
    for data, status in (
        ({"lat": "1"}, 400),
        ({"service_code": "Z1"}, 404),
        ({"description": "x" * 20_001}, 400),
    ):
        r = client.post("/open311/v2/requests.json", data=data)
        assert r.status_code == status
        assert set(r.json()[0]) == {"code", "description"}
    r = client.post(
        "/open311/v2/requests.json",
        content=b"\xff\xfe",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400 and "UTF-8" in r.json()[0]["description"]
    assert client.get("/open311/v2/requests.json").status_code == 501
    # a location is not used to route, but a spec client that sends nonsense is told so
    for lat, lon, says in (("abc", "", "not a number"), ("40.1", "1e999", "outside"), ("NaN", "", "outside")):
        r = client.post(
            "/open311/v2/requests.json", data={"description": "县道塌了个坑", "lat": lat, "long": lon}
        )
        assert r.status_code == 400 and says in r.json()[0]["description"]
    ok = client.post(
        "/open311/v2/requests.json", data={"description": "县道塌了个坑", "lat": "40.07", "long": "112.7"}
    )
    assert ok.status_code == 200


def test_settings_from_environment_name_a_bad_value() -> None:
    s = ServiceSettings.from_env(
        {"DUTYROUTE_API_KEY": "k", "DUTYROUTE_CORS_ORIGINS": "a, b", "DUTYROUTE_MAX_BATCH": "5"}
    )
    assert (s.api_key, s.cors_origins, s.max_batch) == ("k", ("a", "b"), 5)
    assert ServiceSettings.from_env(s.to_env()) == s
    with pytest.raises(InputError, match="DUTYROUTE_TIMEOUT_S='soon'"):
        ServiceSettings.from_env({"DUTYROUTE_TIMEOUT_S": "soon"})
    with pytest.raises(InputError, match="max_batch"):
        ServiceSettings(max_batch=0)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_real_uvicorn_process_serves_and_stops_gracefully() -> None:
    """`dutyroute serve` on 127.0.0.1 and an ephemeral port: routes, then shuts down on SIGTERM."""
    import httpx

    port = _free_port()
    env = os.environ | {"DUTYROUTE_API_KEY": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dutyroute", "serve", "--port", str(port), "--no-access-log"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.monotonic() < deadline, "the service did not become ready in 30 s"
            time.sleep(0.2)
        r = httpx.post(f"http://127.0.0.1:{port}/v1/route", json={"text": "县道塌了个坑"}, timeout=10)
        assert r.status_code == 200 and r.json()["acting"] == ["县交通运输局"]
        # the README's HTTP client example, against this server
        readme = (ROOT / "README.md").read_text(encoding="utf-8")
        blocks = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "http://127.0.0.1:8000" in b]
        assert blocks, "README shows an HTTP client example"
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            for block in blocks:
                exec(compile(block.replace("127.0.0.1:8000", f"127.0.0.1:{port}"), "README.md", "exec"), {})
        assert "routed C62 ['县交通运输局']" in out.getvalue()
        assert "[('t1', 'ok'), ('t2', 'error')]" in out.getvalue()
        assert "县农业农村和水务局" in out.getvalue()
    finally:
        proc.terminate()
        code = proc.wait(timeout=20)
    log = proc.stdout.read().decode() if proc.stdout else ""
    # uvicorn shuts down gracefully, then re-raises SIGTERM (exit -15), as a service manager expects
    assert code in (0, -15), log
    assert "Shutting down" in log and "Finished server process" in log, log
