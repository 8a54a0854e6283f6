"""Request and response bodies of the HTTP service (JSON; their JSON Schema is in ``/openapi.json``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..model.decision import Decision
from ..routing.intake import MAX_RAW_CHARS

__all__ = [
    "BatchItem",
    "BatchRequest",
    "BatchResponse",
    "BatchResult",
    "BodySummary",
    "ItemError",
    "MatterSummary",
    "RouteRequest",
    "VersionInfo",
    "refuse_lone_surrogates",
]

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_lone_surrogates(fields: Iterable[tuple[str, str]]) -> None:
    """Refuse a lone surrogate (U+D800–U+DFFF) in any ``(where, text)`` of ``fields``.

    JSON's ``\\ud800`` escapes can carry one into a Python string, but no UTF-8 text can hold it:
    routed, echoed or logged, it would break the response instead of the request.

    Raises:
        ValueError: naming the field and the character's position (never the character itself).
    """
    for where, text in fields:
        m = _LONE_SURROGATE.search(text)
        if m is not None:
            raise ValueError(
                f"{where}: character {m.start() + 1} is a lone surrogate (U+{ord(m.group()):04X}), which "
                "no UTF-8 text can hold; send valid Unicode (a \\ud8xx escape needs its \\udcxx pair)"
            )


class RouteRequest(BaseModel):
    """One incident to route (``POST /v1/route``)."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_RAW_CHARS,
        description="The incident as people wrote it (Chinese), 1–20,000 characters as sent and at most "
        "5,000 after normalisation.",
    )
    facts: dict[str, str] | None = Field(
        default=None,
        description='Known deciding facts, e.g. {"road_class": "县道"} (names and values: rules/facts.yaml); '
        "they override what the text says.",
    )
    limit: int = Field(default=5, ge=0, le=50, description="Most alternatives returned (0–50).")

    @model_validator(mode="after")
    def _valid_unicode(self) -> RouteRequest:
        refuse_lone_surrogates(self._strings())
        return self

    def _strings(self) -> Iterator[tuple[str, str]]:
        yield "text", self.text
        for name, value in (self.facts or {}).items():
            yield "facts (a name)", name
            yield "facts (a value)", value


class BatchItem(RouteRequest):
    """One item of a batch: a route request with the caller's id (echoed back)."""

    id: str | int | None = Field(default=None, description="The caller's id of the incident (echoed).")

    def _strings(self) -> Iterator[tuple[str, str]]:
        yield from super()._strings()
        if isinstance(self.id, str):
            yield "id", self.id


class BatchRequest(BaseModel):
    """Several incidents (``POST /v1/route/batch``; at most 1,000 unless the service says otherwise)."""

    model_config = ConfigDict(extra="forbid")

    items: list[BatchItem] = Field(min_length=1)


class ItemError(BaseModel):
    """Why one batch item was not routed."""

    type: str = Field(description="The error's class: IncidentTextError, NotFoundError, TypeError …")
    message: str = Field(description="What is wrong and what to do.")


class BatchResult(BaseModel):
    """One batch item's answer: its decision, or its error (never both)."""

    index: int = Field(ge=0, description="0-based position in the request.")
    id: str | int | None = None
    status: Literal["ok", "error"]
    decision: Decision | None = None
    error: ItemError | None = None


class BatchResponse(BaseModel):
    """The answers, one per item, in request order."""

    items: list[BatchResult]
    routed: int = Field(ge=0, description="Items that got a decision.")
    errors: int = Field(ge=0, description="Items that got an error.")


_ActingOptions = list[list[str]]  # (a field below is called ``list``)


class MatterSummary(BaseModel):
    """One matter (事项) of the lists, as ``GET /v1/matters`` lists it."""

    id: str = Field(examples=["C62"])
    list: Literal["basic", "cooperative", "reclaimed"] = Field(description="Which of the three lists.")
    list_name: str = Field(description="The official list's name, e.g. 配合履职事项清单.")
    seq: int = Field(ge=1, description="序号 in that list.")
    category: str = Field(description="事项类别 (empty where the list has no such column).")
    title: str = Field(description="事项名称, exactly as in the list.")
    acting: _ActingOptions = Field(
        description="Who may act: one list of body names per acting option, lead first."
    )
    basis: str = Field(description="The dispatch basis (派单依据) citing the list and item.")


class BodySummary(BaseModel):
    """One body (主体): the township, a township role or a county department."""

    id: str
    name: str
    kind: str
    parent: str | None = None
    aliases: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(description="Matters per relation (acts, leads, cooperates, receives …).")


class VersionInfo(BaseModel):
    """What is answering: the package, the rulebook and the recognizer."""

    package: str
    jurisdiction: str
    rulebook_hash: str
    model_hash: str | None = None
    matters: int = Field(ge=0)


def example_route_request() -> dict[str, Any]:
    """The OpenAPI examples of a route request."""
    return {
        "pothole": {"summary": "A county road", "value": {"text": "县道塌了个坑，晚上骑车差点摔了"}},
        "with_fact": {
            "summary": "A deciding fact given by the caller",
            "value": {"text": "路上有个大坑没人修", "facts": {"road_class": "村道"}, "limit": 3},
        },
        "straw": {"summary": "Straw burning", "value": {"text": "有人在地里烧秸秆，烟呛得人睡不着"}},
    }
