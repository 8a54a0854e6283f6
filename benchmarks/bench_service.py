"""Benchmark the HTTP service on loopback: throughput, latency, errors and server memory.

    python benchmarks/bench_service.py [--requests 2000] [--concurrency 50] [--workers 1] [--max-seconds 120]

Starts ``dutyroute serve`` on 127.0.0.1 and a free port (the ``[server]`` extra), waits for
``/readyz``, sends 100 warm-up requests, then ``--requests`` ``POST /v1/route`` requests with at
most ``--concurrency`` in flight (httpx.AsyncClient, one connection pool), and reports:

- throughput: requests per second over the timed run (wall clock);
- latency p50 / p99 / max: per request, as the client sees it (queueing included);
- errors: responses other than 200, and transport errors (must be 0);
- server CPU per request (user + system, Linux): what one request costs the server, apart from
  the client sharing the machine;
- server memory: peak resident set size of the server process(es) (``VmHWM``, Linux).

The texts are incidents in the style of the hotline, built from a fixed list of phrasings so the
benchmark needs no data outside the repository. The run is bounded: it stops after
``--max-seconds`` whatever happened, and the server is always stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

PLACES = ["村东头", "村口", "县道边上", "学校旁边", "河滩", "乡政府门口", "俺家后院", "地头"]
THINGS = [
    "有人烧秸秆，烟呛得人睡不着",
    "路塌了个大坑，晚上骑车摔了好几个",
    "小饭馆油烟直往屋里灌",
    "工地半夜还在打桩",
    "有人往河里倒垃圾",
    "老板拖欠工钱半年了",
    "邻居盖房占了俺家的宅基地",
    "低保今年突然停了也没人说",
    "死猪扔在路边发臭",
    "砂石厂粉尘大得很",
]


def texts(n: int) -> list[str]:
    out = []
    for i in range(n):
        out.append(f"{PLACES[i % len(PLACES)]}{THINGS[(i // len(PLACES)) % len(THINGS)]}，第{i}次反映了")
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process and its children (Linux /proc; 0 elsewhere)."""
    total = 0.0
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            continue
    return total


def _peak_rss_mb(pid: int) -> float:
    """Peak RSS of a process and its children (uvicorn workers), in MB (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def run(base: str, bodies: list[str], concurrency: int, deadline: float) -> tuple[list[float], int]:
    sem = asyncio.Semaphore(concurrency)
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def one(text: str) -> None:
            nonlocal errors
            async with sem:
                if time.monotonic() > deadline:
                    errors += 1
                    return
                t0 = time.perf_counter()
                try:
                    r = await client.post("/v1/route", json={"text": text})
                    if r.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - t0)

        await asyncio.gather(*(one(t) for t in bodies))
    return latencies, errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--max-seconds", type=float, default=120.0)
    args = ap.parse_args()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "dutyroute", "serve", "--port", str(port), "--workers", str(args.workers)]
    server = subprocess.Popen(
        [*cmd, "--no-access-log"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=os.environ.copy()
    )
    try:
        t0 = time.monotonic()
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                print(server.stderr.read().decode() if server.stderr else "server exited", file=sys.stderr)
                return 1
            if time.monotonic() - t0 > 60:
                print("server not ready after 60 s", file=sys.stderr)
                return 1
            time.sleep(0.2)
        ready = time.monotonic() - t0
        deadline = time.monotonic() + args.max_seconds
        asyncio.run(run(base, texts(100), args.concurrency, deadline))  # warm-up
        bodies = texts(args.requests)
        cpu0 = _cpu_s(server.pid)
        start = time.perf_counter()
        latencies, errors = asyncio.run(run(base, bodies, args.concurrency, deadline))
        wall = time.perf_counter() - start
        cpu = _cpu_s(server.pid) - cpu0
        lat = sorted(latencies)
        report = {
            "requests": len(bodies),
            "concurrency": args.concurrency,
            "workers": args.workers,
            "ready_s": round(ready, 2),
            "wall_s": round(wall, 2),
            "throughput_rps": round(len(bodies) / wall, 1),
            "p50_ms": round(statistics.median(lat) * 1000, 1),
            "p99_ms": round(lat[int(0.99 * (len(lat) - 1))] * 1000, 1),
            "max_ms": round(lat[-1] * 1000, 1),
            "server_cpu_ms_per_request": round(cpu * 1000 / len(bodies), 2),
            "errors": errors,
            "server_peak_rss_mb": round(_peak_rss_mb(server.pid), 1),
        }
        print(json.dumps(report, ensure_ascii=False))
        return 0 if errors == 0 else 1
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


if __name__ == "__main__":
    sys.exit(main())
