"""The responsibility graph: matters ↔ bodies, with the clauses that ground every link.

A :class:`~dutyroute.model.lists.Rulebook` becomes a bipartite :class:`networkx.DiGraph` (edges run
body → matter) in one call, :func:`build_graph`, cheap enough to build when a router is created
(about a millisecond per hundred matters). :class:`ResponsibilityGraph` wraps it with typed
queries — the bodies of a matter, the matters of a body, the matters two bodies share, a workload
table — and :meth:`ResponsibilityGraph.check` returns the lists' integrity violations as
:class:`Violation` records (``dutyroute lint`` prints the same records).

Nodes (ids are namespaced by jurisdiction so several townships can share one graph):

- matter ``xiaojingzhuang:C40`` — ``bipartite=0``, ``type="matter"``, ``id``, ``list``
  (basic | cooperative | reclaimed), ``seq``, ``category``, ``title``, ``source_line``,
  ``jurisdiction`` (the rulebook's key);
- body — ``bipartite=1``, ``type="body"``, ``id``, ``name`` (canonical), ``kind``
  (:class:`~dutyroute.model.lists.BodyKind` value, ``"unknown"`` for a name nothing resolves),
  ``known``, ``parent``, ``units`` (sub-units folded into it). The township and its roles are
  namespaced by the township (``xiaojingzhuang:township``); county-level bodies by the county
  (``左云县:county.public_security``), so the townships of one county share them.

Edges (body → matter), attribute ``relation`` (:class:`Relation`) and ``clauses`` (the
clause texts that ground it, exactly as in the list):

- ``acts``: township → basic matter; ``role`` / ``role_id`` name the township office that acts
  (from ``Matter.role``);
- ``leads``: each county department of a cooperative matter → the matter, with that department's
  上级部门职责 clauses; ``lead=True`` on the first department listed in 对应上级部门 (牵头);
  ``listed`` says whether the department is in that column (a duty block without a listing
  still gets its edge, so nothing is dropped);
- ``cooperates``: township → cooperative matter, with the 乡镇配合职责 clauses (only when the row
  has such clauses: a row without them is a violation, not a silent edge);
- ``receives``: receiving department (承接部门) → reclaimed matter, with its 履职方式 clauses;
- ``reclaimed_from``: township → reclaimed matter (the township no longer acts; kept so "what did
  we lose" is a query).

A sub-unit (``县交通警察大队``, kind ``sub_unit``) is folded into its parent body: the edge goes to
the parent (``县公安局``) and names the unit in ``units``. Every edge also keeps ``as_written``,
the body's spellings in the list.

Source: the three official lists (基本 / 配合 / 上级部门收回 履职事项清单) as compiled into the rulebook.
"""

from ..model.duties import ACTING_RELATIONS, Relation
from .build import body_node_id, build_graph, matter_node_id
from .check import check_graph
from .draw import CJK_FONTS, available_cjk_fonts, draw_neighbourhood
from .query import ResponsibilityGraph
from .records import BodyMatch, Link, Violation, Workload

__all__ = [
    "ACTING_RELATIONS",
    "CJK_FONTS",
    "BodyMatch",
    "Link",
    "Relation",
    "ResponsibilityGraph",
    "Violation",
    "Workload",
    "available_cjk_fonts",
    "body_node_id",
    "build_graph",
    "check_graph",
    "draw_neighbourhood",
    "matter_node_id",
]
