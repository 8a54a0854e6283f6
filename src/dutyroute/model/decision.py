"""The router's answer: :class:`Decision` and the records inside it.

``Decision.model_dump(mode="json")`` holds the batch fields of ``../shared/cases/README.md``
(``status, matter, acting, cooperating, reclaimed, confidence, basis, clarify, alternatives``)
plus the detail a dispatcher needs to defend the route: the matter record, the township office
that acts on a basic matter, each acting and cooperating body *with its duty clauses for this
matter*, the receiving department of a reclaimed matter, the clauses that matched, a trace of
how the decision was reached, and the hash of the rulebook it was made with.

Shapes::

    Decision
    ├── status            "routed" | "needs_clarification" | "unmatched"
    ├── matter            "C40" | None                     (id; the record is in matter_detail;
    │                                                        None unless status is "routed")
    ├── acting            ["县公安局"]                      (canonical body names)
    ├── cooperating       ["小京庄乡"]                      (cooperative matters only)
    ├── reclaimed         bool                              (True: the county took the matter back)
    ├── confidence        float in [0, 1]
    ├── basis             "《…配合履职事项清单》第40项 噪声污染防治" | None
    ├── clarify           Clarification | None              (status needs_clarification only)
    ├── alternatives      [Alternative]                     (next-best routes, best first)
    ├── township_role     "综合行政执法队" | None             (basic matters: the office that acts)
    ├── matter_detail     MatterInfo | None
    ├── acting_bodies     [BodyDuty]   (name, sub_unit, parent, clauses of this matter)
    ├── cooperating_bodies[BodyDuty]   (for 小京庄乡: the 乡镇配合职责 clauses)
    ├── basis_clauses     [MatchedClause] (clauses of the matter that the text matched, best first)
    ├── trace             Trace
    ├── rulebook_hash     "sha256:…"
    └── rulebook_version  "2024-03-01/.."  (days in force, ISO 8601 interval; "../.." unknown)
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import UnroutedError

__all__ = [
    "Alternative",
    "BodyDuty",
    "Candidate",
    "Clarification",
    "ClarifyOption",
    "Decision",
    "FactFinding",
    "MatchedClause",
    "MatterInfo",
    "ModelScore",
    "Precedent",
    "RouteFailure",
    "RuleFiring",
    "Status",
    "TermHit",
    "Trace",
]

Status = Literal["routed", "needs_clarification", "unmatched"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RouteFailure(_Frozen):
    """A text of ``Router.route_many(..., errors="return")`` that could not be routed.

    Attributes:
        index: 0-based position of the text in the input.
        error: the exception's class name (``IncidentTextError``, ``TypeError``).
        message: what is wrong and what to do.
    """

    index: int
    error: str
    message: str
    status: Literal["error"] = "error"


class MatterInfo(_Frozen):
    """The matter a decision routes to: id, list, 序号, 事项类别, 事项名称, line in the list text."""

    id: str
    list: Literal["basic", "cooperative", "reclaimed"]
    seq: int
    category: str
    title: str
    source_line: int


class BodyDuty(_Frozen):
    """A body and its duty clauses for this matter.

    Attributes:
        name: canonical body name (``县公安局``, ``小京庄乡``).
        sub_unit: the unit inside the body that the list names (``县交通警察大队``), or None; the
            parent is always reported in ``name`` so scoring by body never misses it.
        clauses: the body's clauses for this matter as written in the list (for the township in a
            cooperative matter: the 乡镇配合职责; for a receiving department: its 履职方式).
    """

    name: str
    sub_unit: str | None = None
    clauses: tuple[str, ...] = ()


class MatchedClause(_Frozen):
    """One clause of the matter that the incident text matched.

    Attributes:
        field: where the clause sits: ``title``, ``department``, ``township`` or ``receiver``.
        body: the body the clause belongs to ("" for the title).
        text: the clause as written.
        score: sum of the BM25 weights (see :mod:`dutyroute.routing.retrieve`) of the text's tokens found in
            the clause; only for ordering.
    """

    field: Literal["title", "department", "township", "receiver"]
    body: str = ""
    text: str
    score: float


class ClarifyOption(_Frozen):
    """One answer to a clarifying question and the route it leads to."""

    value: str
    label: str = ""
    matter: str
    acting: tuple[str, ...]
    cooperating: tuple[str, ...] = ()
    reclaimed: bool = False
    basis: str = ""


class Clarification(_Frozen):
    """The one fact the text lacks, a question a dispatcher can read aloud, the route per answer.

    Attributes:
        fact: fact name from ``rules/facts.yaml`` (``road_class``).
        question: e.g. ``这条路是村道、乡道，还是县道、省道、国道？``.
        options: each possible answer with its route.
        rule: id of the contrast in ``rules/routing.yaml`` that asked.
    """

    fact: str
    question: str
    options: tuple[ClarifyOption, ...]
    rule: str = ""


class Alternative(_Frozen):
    """A next-best route (batch format), with its confidence in [0, 1]."""

    matter: str
    acting: tuple[str, ...]
    cooperating: tuple[str, ...] = ()
    reclaimed: bool = False
    confidence: float = Field(ge=0.0, le=1.0)
    title: str = ""


class FactFinding(_Frozen):
    """A deciding fact: its value, its source (``text`` or ``caller``) and the words that showed it."""

    value: str
    source: Literal["text", "caller"]
    evidence: str = ""


class TermHit(_Frozen):
    """A lexicon entry that fired: the words found in the text and the list terms they stand for."""

    entry: str
    said: str
    means: tuple[str, ...]


class Candidate(_Frozen):
    """A retrieved matter with its scores (units in :mod:`dutyroute.routing.retrieve`)."""

    matter: str
    score: float
    bm25: float
    concepts: float
    title: str = ""


class RuleFiring(_Frozen):
    """A rule of ``rules/routing.yaml`` that fired and what it did."""

    rule: str
    effect: str


class ModelScore(_Frozen):
    """One class as the trained recognizer and the fusion saw it.

    Attributes:
        matter: a matter id, or ``OUT_OF_SCOPE``.
        recognizer: the recognizer's linear score (a margin; > 0 means "this class").
        fused: the fused probability of the class among the text's candidates, in [0, 1].
    """

    matter: str
    recognizer: float
    fused: float


class Precedent(_Frozen):
    """A labeled example of the corpus close to the incident (类案), for a dispatcher to compare.

    Attributes:
        id: the example's id in ``corpus/`` (``W03-0112``).
        excerpt: its first 80 characters.
        matter: the matter it is labeled with (``OUT_OF_SCOPE`` for an example no list covers).
        similarity: cosine similarity of the two texts' TF-IDF vectors, in [0, 1].
    """

    id: str
    excerpt: str
    matter: str
    similarity: float = Field(ge=0.0, le=1.0)


class Trace(_Frozen):
    """How the decision was reached."""

    text: str = Field(description="the normalised incident text")
    facts: dict[str, FactFinding] = Field(default_factory=dict)
    terms: tuple[TermHit, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    model: tuple[ModelScore, ...] = Field(
        default=(),
        description="the recognizer's and the fusion's view of the best candidates (empty without one)",
    )
    rules: tuple[RuleFiring, ...] = ()
    note: str = ""


class Decision(_Frozen):
    """Who must act on an incident, who cooperates, whether the county reclaimed it, and why.

    See the module docstring for the shape. ``model_dump(mode="json")`` is the full record;
    :meth:`to_batch` is the line format of ``dutyroute batch``.
    """

    status: Status
    matter: str | None = None
    acting: tuple[str, ...] = ()
    cooperating: tuple[str, ...] = ()
    reclaimed: bool = False
    confidence: float = Field(ge=0.0, le=1.0)
    basis: str | None = None
    clarify: Clarification | None = None
    alternatives: tuple[Alternative, ...] = ()
    township_role: str | None = None
    matter_detail: MatterInfo | None = None
    acting_bodies: tuple[BodyDuty, ...] = ()
    cooperating_bodies: tuple[BodyDuty, ...] = ()
    basis_clauses: tuple[MatchedClause, ...] = ()
    trace: Trace
    rulebook_hash: str
    rulebook_version: str = Field(
        default="../..",
        description="the version of the lists: days in force, ISO 8601 interval (../.. unknown)",
    )
    model_hash: str | None = Field(default=None, description="hash of the recognizer artifact used, if any")
    auto_dispatch: bool = Field(
        default=False,
        description="confidence clears the artifact's auto-dispatch threshold (routes right ≥ 95 % there)",
    )
    precedents: tuple[Precedent, ...] = ()

    @model_validator(mode="after")
    def _only_routed_names_a_route(self) -> Decision:
        """A ``needs_clarification`` or ``unmatched`` decision presents no route as if it were made:
        matter, acting/cooperating bodies, basis, township role, matter detail and matched clauses are
        empty (the routes per answer are in ``clarify.options``, candidates in ``alternatives``)."""
        if self.status != "routed":
            given = [
                name
                for name in ("matter", "basis", "township_role", "matter_detail")
                if getattr(self, name) is not None
            ] + [
                name
                for name in ("acting", "cooperating", "acting_bodies", "cooperating_bodies", "basis_clauses")
                if getattr(self, name)
            ]
            if given or self.reclaimed:
                raise ValueError(
                    f"a {self.status} decision names no route, but {', '.join(given) or 'reclaimed'} is set"
                )
        if self.status == "needs_clarification" and self.clarify is None:
            raise ValueError("a needs_clarification decision needs clarify (the question and its options)")
        return self

    @property
    def routed(self) -> bool:
        """True when status is ``routed``."""
        return self.status == "routed"

    def raise_for_unrouted(self) -> Decision:
        """Return self when routed; otherwise raise :class:`~dutyroute.errors.UnroutedError`.

        Like ``httpx.Response.raise_for_status()``: opt in when a caller cannot handle a
        clarifying question or an unmatched text.

        Raises:
            UnroutedError: status is ``needs_clarification`` (the message carries the question)
                or ``unmatched``; the decision is on the exception's ``decision`` attribute.
        """
        if self.status == "routed":
            return self
        if self.status == "needs_clarification" and self.clarify is not None:
            reason = f"needs clarification: {self.clarify.question}"
        else:
            reason = "unmatched: no matter of the three lists covers this text"
        raise UnroutedError(reason, decision=self)

    def to_batch(self, case_id: Any = None) -> dict[str, Any]:
        """The ``dutyroute batch`` output line (``../shared/cases/README.md``), plus ``township_role``.

        Args:
            case_id: the input line's ``id``, copied first; omitted when None.
        """
        out: dict[str, Any] = {} if case_id is None else {"id": case_id}
        clarify = None
        if self.clarify is not None:
            clarify = {
                "fact": self.clarify.fact,
                "question": self.clarify.question,
                "options": [
                    {
                        "value": o.value,
                        "matter": o.matter,
                        "acting": list(o.acting),
                        "cooperating": list(o.cooperating),
                        "reclaimed": o.reclaimed,
                    }
                    for o in self.clarify.options
                ],
            }
        out.update(
            status=self.status,
            matter=self.matter,
            acting=list(self.acting),
            cooperating=list(self.cooperating),
            reclaimed=self.reclaimed,
            confidence=round(self.confidence, 3),
            basis=self.basis,
            clarify=clarify,
            alternatives=[
                {
                    "matter": a.matter,
                    "acting": list(a.acting),
                    "cooperating": list(a.cooperating),
                    "reclaimed": a.reclaimed,
                    "confidence": round(a.confidence, 3),
                }
                for a in self.alternatives
            ],
            township_role=self.township_role,
            auto_dispatch=self.auto_dispatch,
        )
        if self.precedents:
            out["precedents"] = [p.model_dump() for p in self.precedents]
        return out
