"""The graph as exportable data: node-link JSON and GraphML attributes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import networkx as nx

from ..model.lists import Rulebook


def _exportable(g: nx.DiGraph, rulebooks: Sequence[Rulebook], *, json_lists: bool) -> nx.DiGraph:
    def conv(attrs: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in attrs.items():
            if v is None:
                continue
            if isinstance(v, (tuple, list)):
                v = json.dumps(list(v), ensure_ascii=False) if json_lists else list(v)
            out[k] = v
        return out

    h = nx.DiGraph()
    h.graph.update(
        {
            "jurisdictions": json.dumps(g.graph.get("jurisdictions", {}), ensure_ascii=False)
            if json_lists
            else dict(g.graph.get("jurisdictions", {})),
            "hashes": json.dumps({rb.jurisdiction.key: rb.hash for rb in rulebooks})
            if json_lists
            else {rb.jurisdiction.key: rb.hash for rb in rulebooks},
        }
    )
    for n, a in g.nodes(data=True):
        h.add_node(n, **conv(a))
    for u, v, a in g.edges(data=True):
        h.add_edge(u, v, **conv(a))
    return h
