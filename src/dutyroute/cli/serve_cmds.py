"""``dutyroute serve``: the HTTP service (``[server]`` extra) under uvicorn."""

from __future__ import annotations

import os
from typing import Annotated, Optional

import typer

from ..errors import ExtraMissingError
from ._common import Commands, RulesOption

commands = Commands()
"""This module's commands, added to the app by :func:`register`."""


@commands.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port (0: any free port).")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (each loads its own router).")
    ] = 1,
    api_key_env: Annotated[
        str,
        typer.Option(
            help="Environment variable holding the API key; when it is set, requests must send "
            "X-API-Key (health probes and /openapi.json stay open)."
        ),
    ] = "DUTYROUTE_API_KEY",
    cors: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--cors", help="Allow this browser origin (repeatable; * for any). Default: CORS off."),
    ] = None,
    max_body: Annotated[int, typer.Option(min=1, help="Largest request body in bytes (413 above).")] = 64
    * 1024,
    timeout: Annotated[
        float, typer.Option(min=0.001, help="Seconds one request may spend routing (504 after).")
    ] = 10.0,
    access_log: Annotated[bool, typer.Option(help="One JSON line per request on stderr.")] = True,
    rules: RulesOption = None,
) -> None:
    """Serve routing over HTTP: /v1/route, /v1/route/batch, /v1/matters, /v1/bodies, /v1/graph,
    Open311 GeoReport v2 under /open311/v2, /healthz, /readyz; OpenAPI at /openapi.json.

    Needs the [server] extra (pip install 'dutyroute[server]'). SIGINT/SIGTERM stop it gracefully:
    requests in flight finish (up to 10 s), new ones are refused.
    """
    try:
        import uvicorn
    except ImportError:
        raise ExtraMissingError("the HTTP service", "server", "uvicorn") from None
    import logging

    from ..service import ServiceSettings, create_app

    settings = ServiceSettings(
        rules=str(rules) if rules is not None else None,
        api_key=os.environ.get(api_key_env) or None,
        cors_origins=tuple(cors or ()),
        max_body_bytes=max_body,
        timeout_s=timeout,
        access_log=access_log,
    )
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    common = {
        "host": host,
        "port": port,
        "timeout_graceful_shutdown": 10,
        "access_log": False,
        "log_level": "info",
    }
    if workers == 1:
        app = create_app(settings)  # fails here, before listening, when the rules do not load
        uvicorn.run(app, **common)  # type: ignore[arg-type]
        return
    create_app(settings)  # check the rules load before starting the workers
    os.environ.update(settings.to_env())
    uvicorn.run("dutyroute.service:app_from_env", factory=True, workers=workers, **common)  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the app."""
    commands.register(app)
