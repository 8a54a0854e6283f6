"""The answer to a returned order (退单): :class:`ReturnVerdict` and the records inside it.

A department (or the township) sends a dispatched case back as "not ours" — 属地不符, 职能不符,
权属不清, 职能交叉. The verdict says, from the lists, whether that holds and who must act instead::

    ReturnVerdict
    ├── justified      True | False | None      (None: it depends on a fact the text does not say)
    ├── kind           see ReturnKind
    ├── returned_by    "县公安局"                 (canonical; returned_by_as_given keeps the input)
    ├── reason         "职能不符" | None           (the returning body's stated reason, echoed)
    ├── matter / basis the matter the incident falls under, and its list item
    ├── instead        [ReturnRoute]            (who should take it: matter, acting, cooperating,
    │                                            reclaimed, basis; empty when the return is refused
    │                                            or no list covers the incident)
    ├── clauses        [DecidingClause]         (the clauses that decide: the returning body's own
    │                                            when the return is not justified)
    ├── depends_on     ReturnFact | None        (the missing fact and what each answer means)
    ├── also_acts_in   [ReturnRoute]            (other plausible routes on which the returning
    │                                            body would act: where the lists overlap)
    └── explanation    one line in Chinese for the dispatcher
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["DecidingClause", "ReturnFact", "ReturnKind", "ReturnOption", "ReturnRoute", "ReturnVerdict"]

ReturnKind = Literal[
    "not_named",
    "another_department_acts",
    "only_cooperates",
    "reclaimed",
    "outside_lists",
    "not_justified",
    "depends_on_fact",
]
"""Why a return holds or not:

- ``not_named``: the returning body is not named in the matter at all (justified);
- ``another_department_acts``: it is named in the matter, but this incident falls under another
  department's clauses (justified);
- ``only_cooperates``: it only cooperates on the matter (the township on a cooperative matter, a
  co-operating department); the lead acts (justified as a refusal to lead — it still cooperates);
- ``reclaimed``: the matter was reclaimed by another department (the receiving department acts; the
  township no longer does) (justified);
- ``outside_lists``: no list covers the incident (justified: nobody in these lists must act);
- ``not_justified``: the returning body's own clauses cover the incident; it must act;
- ``depends_on_fact``: a deciding fact the text does not say decides (``depends_on``).
"""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReturnRoute(_Frozen):
    """A route: the matter, who acts and cooperates, reclaimed or not, and the list item."""

    matter: str
    acting: tuple[str, ...]
    cooperating: tuple[str, ...] = ()
    reclaimed: bool = False
    basis: str = ""


class DecidingClause(_Frozen):
    """A clause of the lists that decides the verdict: whose it is and in which matter."""

    matter: str
    body: str
    relation: str
    text: str


class ReturnOption(_Frozen):
    """What one answer to the missing fact means for the return."""

    value: str
    label: str = ""
    route: ReturnRoute
    justified: bool
    kind: ReturnKind


class ReturnFact(_Frozen):
    """The deciding fact the text does not say, with the verdict under each answer."""

    fact: str
    question: str
    options: tuple[ReturnOption, ...]


class ReturnVerdict(_Frozen):
    """Whether a return (退单) is justified by the lists, and who must act instead (module docstring)."""

    justified: bool | None
    kind: ReturnKind
    returned_by: str
    returned_by_as_given: str
    reason: str | None = None
    matter: str | None = None
    basis: str | None = None
    instead: tuple[ReturnRoute, ...] = ()
    clauses: tuple[DecidingClause, ...] = ()
    depends_on: ReturnFact | None = None
    also_acts_in: tuple[ReturnRoute, ...] = ()
    explanation: str
    rulebook_hash: str = ""
