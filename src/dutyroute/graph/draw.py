"""Pictures of a body's or a matter's neighbourhood (matplotlib, the ``[draw]`` extra)."""

from __future__ import annotations

import logging
import warnings
from collections import defaultdict
from functools import partial
from pathlib import Path
from typing import Any

import networkx as nx

from ..errors import ExtraMissingError
from ..model.duties import Relation
from ..model.lists import Body, BodyKind, ListKind
from .query import _LIST_ORDER, _REL_ORDER, ResponsibilityGraph
from .records import UNKNOWN_KIND

#: Font families tried in order for Chinese labels. SVG keeps text as text and names the whole
#: list (the viewer picks the first it has); PNG needs one of them installed (e.g. Debian's
#: fonts-noto-cjk), else labels fall back to boxes and :func:`draw_neighbourhood` warns.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "SimHei",
    "Noto Sans CJK JP",
    "Arial Unicode MS",
)

LIST_COLOURS: dict[ListKind, str] = {
    ListKind.basic: "#d8efd0",  # green: the township acts
    ListKind.cooperative: "#d6e6f7",  # blue: a county department leads
    ListKind.reclaimed: "#fbdcc0",  # orange: taken back by the county
}
RELATION_COLOURS: dict[Relation, str] = {
    Relation.acts: "#2e8b3a",
    Relation.leads: "#2464a8",
    Relation.cooperates: "#8a5fb8",
    Relation.receives: "#d9650b",
    Relation.reclaimed_from: "#9a9a9a",
}
_BODY_FILL = {
    BodyKind.township.value: "#fff1a8",
    UNKNOWN_KIND: "#f6b8b8",
    BodyKind.placeholder.value: "#ffffff",
}
_BODY_FILL_DEFAULT = "#ececec"


def available_cjk_fonts() -> list[str]:
    """The families of :data:`CJK_FONTS` that matplotlib can find on this machine, in order
    (empty when matplotlib, the ``[draw]`` extra, is not installed)."""
    try:
        from matplotlib import font_manager
    except ImportError:
        return []

    have = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in have]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def draw_neighbourhood(
    rg: ResponsibilityGraph,
    path: str | Path,
    *,
    body: str | Body | None = None,
    matter: str | None = None,
    relation: Relation | str | None = None,
    title: str | None = None,
    label_chars: int = 20,
    dpi: int = 150,
) -> Path:
    """Draw the neighbourhood of one body or one matter (see
    :meth:`ResponsibilityGraph.neighbourhood`) to an SVG, PNG or PDF file.

    Layered layout: the focus on the left, its matters (or
    bodies) in the middle, the other bodies of those matters on the right; rows ordered by
    relation, list and 序号, right-hand bodies by the mean row of their matters (fewer crossings).
    Matter boxes are coloured by list, edges by relation; the lead department's edge (牵头) is
    thick; a legend explains both. SVG keeps text as text (``svg.fonttype='none'``) with the
    :data:`CJK_FONTS` family list, so labels stay searchable and sharp. The same graph gives the
    same SVG bytes on the same machine (fixed hash salt, no date, ordered rows); without a CJK font
    the drawing is quiet (matplotlib's per-glyph warnings are held back).

    Args:
        rg: the graph.
        path: output file; the suffix (``.svg``, ``.png``, ``.pdf``) picks the format.
        body, matter: the focus, exactly one of them (names and ids as for the queries).
        relation: with ``body``, draw only its matters of this relation.
        title: picture title; default names the focus and the township.
        label_chars: longest label in characters; longer titles end with ``…``.
        dpi: resolution of raster output.

    Returns:
        The path written.

    Raises:
        NotFoundError: unknown body or matter. ValueError: neither or both of body/matter given.
        ExtraMissingError: matplotlib is not installed (``pip install 'dutyroute[draw]'``).

    Warns:
        UserWarning: once, when a raster/PDF picture is asked for and no CJK font is installed.
    """
    plt = _pyplot()
    path = Path(path)
    sub = rg.neighbourhood(body=body, matter=matter, relation=relation)
    fonts = available_cjk_fonts()
    if not fonts and path.suffix.lower() != ".svg":
        warnings.warn(
            f"no CJK font found for {path.name}: Chinese labels will not render "
            f"(install one of {', '.join(CJK_FONTS[:4])}, e.g. Debian's fonts-noto-cjk, or write .svg)",
            stacklevel=2,
        )
    focus_body: Body | None = None
    if body is not None:
        focus_body = body if isinstance(body, Body) else rg.resolve_body(body).body
    pic = _Picture(sub, matter is not None, focus_body, label_chars)
    if title is None:
        title = _picture_title(rg, sub, pic.focus, pic.rows, body)
    rc: dict[str, Any] = {
        "font.family": [*fonts, *[f for f in CJK_FONTS if f not in fonts], "DejaVu Sans", "sans-serif"],
        "svg.fonttype": "none",
        "svg.hashsalt": "dutyroute",
    }
    fm_logger = logging.getLogger("matplotlib.font_manager")
    old_level = fm_logger.level
    fm_logger.setLevel(logging.ERROR)  # the family list names fonts a machine may lack: not news
    try:
        with warnings.catch_warnings(), plt.rc_context(rc):
            warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")  # warned once above
            fig = pic.figure(plt, title)
            path.parent.mkdir(parents=True, exist_ok=True)
            meta = {"Date": None} if path.suffix.lower() == ".svg" else None
            fig.savefig(path, dpi=dpi, metadata=meta)
            plt.close(fig)
    finally:
        fm_logger.setLevel(old_level)
    return path


def _pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, or a clear error naming the extra."""
    try:
        import matplotlib
    except ImportError:
        raise ExtraMissingError("drawing pictures", "draw", "matplotlib") from None
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


class _Picture:
    """The layout of one neighbourhood picture: rows per layer, labels, colours, geometry (inches)."""

    FONT_PT, BOX_PAD = 9, 0.3  # label size; box padding as a fraction of it (matplotlib's boxstyle pad)
    ROW_H, GAP, MARGIN = 0.36, 1.6, 0.35  # row pitch, column gap, page margin (inches)
    LEGEND_COLS, TITLE_H = 3, 0.85

    def __init__(
        self, sub: nx.DiGraph, matter_focus: bool, focus_body: Body | None, label_chars: int
    ) -> None:
        self.sub = sub
        self.focus: str = sub.graph["focus"]
        self.matter_focus = matter_focus
        self.focus_body = focus_body
        self.label_chars = label_chars
        self.rows = self._rows()
        self.ordered = [n for d in sorted(self.rows) for n in self.rows[d]]

    # -- row order inside each layer -----------------------------------------------------------
    def _rows(self) -> dict[int, list[str]]:
        sub, focus = self.sub, self.focus
        rows: dict[int, list[str]] = defaultdict(list)
        for n, d in nx.get_node_attributes(sub, "layer").items():
            rows[d].append(n)

        def matter_key(n: str) -> tuple[Any, ...]:
            a = sub.nodes[n]
            rel = _REL_ORDER[Relation(sub.edges[focus, n]["relation"])] if sub.has_edge(focus, n) else 99
            return (rel, _LIST_ORDER[ListKind(a["list"])], a["seq"])

        def body_rank(n: str) -> tuple[Any, ...]:
            a = sub.nodes[n]
            return (1 if a.get("kind") == BodyKind.township.value else 0, a["name"])

        def lead_first(n: str) -> tuple[Any, ...]:  # bodies of a matter: lead, then list order, township last
            e = sub.edges[n, focus]
            return (not e["lead"], _REL_ORDER[Relation(e["relation"])])  # sort is stable: list order

        def barycentre(n: str, index: dict[str, int]) -> tuple[Any, ...]:  # mean row of a body's matters
            ms = [index[m] for m in sub.successors(n) if m in index]
            return (sum(ms) / len(ms) if ms else 0.0, body_rank(n))

        for d in sorted(rows):
            nodes = rows[d]
            if d == 0:
                continue
            if sub.nodes[nodes[0]].get("bipartite") == 0:
                nodes.sort(key=matter_key)
            elif d == 1:
                nodes.sort(key=lead_first)
            else:  # fewer crossings: each body next to the matters it shares
                index = {m: i for i, m in enumerate(rows[1])}
                nodes.sort(key=partial(barycentre, index=index))
        return rows

    # -- labels and colours ----------------------------------------------------------------------
    def label(self, n: str) -> str:
        sub, focus = self.sub, self.focus
        a = sub.nodes[n]
        limit = self.label_chars * 2 if n == focus else self.label_chars  # the focus gets room to be read
        if a.get("bipartite") == 0:
            return _short(f"{a['id']} {a['title']}", limit)
        name = _short(a["name"], limit)
        if self.matter_focus and sub.has_edge(n, focus) and sub.edges[n, focus]["units"]:
            name += f"（{'、'.join(sub.edges[n, focus]['units'])}）"
        if n == focus and self.focus_body is not None and self.focus_body.name != a["name"]:
            name += f"（{self.focus_body.name}）"  # a township office or a sub-unit drawn at its parent
        return name

    def fill(self, n: str) -> str:
        a = self.sub.nodes[n]
        if a.get("bipartite") == 0:
            return LIST_COLOURS[ListKind(a["list"])]
        return _BODY_FILL.get(a.get("kind"), _BODY_FILL_DEFAULT)

    def legend(self) -> list[Any]:
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        sub = self.sub
        lists_present = sorted(
            {ListKind(sub.nodes[n]["list"]) for n in self.ordered if sub.nodes[n].get("bipartite") == 0},
            key=_LIST_ORDER.__getitem__,
        )
        rels_present = {Relation(e["relation"]) for _, _, e in sub.edges(data=True)}
        handles: list[Any] = [
            Patch(facecolor=LIST_COLOURS[k], edgecolor="#888888", label=k.label) for k in lists_present
        ]
        handles += [
            Line2D(
                [],
                [],
                color=RELATION_COLOURS[r],
                lw=1.6,
                ls="--" if r is Relation.reclaimed_from else "-",
                label=f"{r.label}（{r.value}）",
            )
            for r in Relation
            if r in rels_present
        ]
        if any(e["lead"] for _, _, e in sub.edges(data=True)):
            handles.append(
                Line2D([], [], color=RELATION_COLOURS[Relation.leads], lw=3.2, label="牵头（首列部门）")
            )
        return handles

    # -- the figure ------------------------------------------------------------------------------
    def figure(self, plt: Any, title: str) -> Any:
        handles = self.legend()
        legend_h = 0.27 * -(-len(handles) // self.LEGEND_COLS) + 0.2
        n_rows = max(len(v) for v in self.rows.values())
        fig = plt.figure(figsize=(10, 4))
        box_w, title_w = self._measure(fig, title)
        col_w = {d: max(box_w[n] for n in self.rows[d]) for d in self.rows}
        left: dict[int, float] = {}
        x = self.MARGIN
        for d in sorted(self.rows):
            left[d] = x
            x += col_w[d] + self.GAP
        width_in = max(x - self.GAP + self.MARGIN, title_w + 2 * self.MARGIN, 8.5)
        height_in = self.TITLE_H + n_rows * self.ROW_H + legend_h + 0.2
        fig.set_size_inches(width_in, height_in)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, width_in)
        ax.set_ylim(-height_in, 0)
        ax.axis("off")
        y_mid = -self.TITLE_H - (n_rows - 1) * self.ROW_H / 2 - self.ROW_H / 2
        centre: dict[str, tuple[float, float]] = {}
        for d, nodes in self.rows.items():
            for i, n in enumerate(nodes):
                y = y_mid + ((len(nodes) - 1) / 2 - i) * self.ROW_H
                # the focus column is right-aligned, the others left-aligned: edges meet the boxes
                # along straight lines
                cx = left[d] + col_w[d] - box_w[n] / 2 if d == 0 else left[d] + box_w[n] / 2
                centre[n] = (cx, y)
        for own in (False, True):
            self._edges(ax, centre, box_w, own)
        self._boxes(ax, centre)
        ax.text(self.MARGIN, -0.45, title, fontsize=12, weight="bold", ha="left", va="center")
        ax.legend(
            handles=handles,
            loc="lower left",
            bbox_to_anchor=(self.MARGIN, -height_in + 0.1),
            bbox_transform=ax.transData,
            ncol=self.LEGEND_COLS,
            fontsize=8.5,
            frameon=False,
            handlelength=2.4,
            columnspacing=1.6,
        )
        return fig

    def _measure(self, fig: Any, title: str) -> tuple[dict[str, float], float]:
        """Each box's width and the title's, in inches, in the font that will draw them."""
        renderer = fig.canvas.get_renderer()  # Agg canvas
        pad = 2 * self.BOX_PAD * self.FONT_PT / 72  # a box is this much wider than its text
        box_w: dict[str, float] = {}
        for n in self.ordered:
            t = fig.text(
                0, 0, self.label(n), fontsize=self.FONT_PT, weight="bold" if n == self.focus else "normal"
            )
            box_w[n] = t.get_window_extent(renderer).width / fig.dpi + pad
            t.remove()
        t = fig.text(0, 0, title, fontsize=12, weight="bold")
        title_w = t.get_window_extent(renderer).width / fig.dpi
        t.remove()
        return box_w, title_w

    def _edges(
        self, ax: Any, centre: dict[str, tuple[float, float]], box_w: dict[str, float], own: bool
    ) -> None:
        """Edges from the facing sides of the two boxes (networkx draws them); the focus's own links
        on top and strong, the links of the other bodies (radius 2) faint."""
        anchors = nx.DiGraph()
        anchor_pos: dict[tuple[str, str, str], tuple[float, float]] = {}
        colours, widths, styles = [], [], []
        for u, v, e in self.sub.edges(data=True):
            if (self.focus in (u, v)) != own:
                continue
            (xu, yu), (xv, yv) = centre[u], centre[v]
            side = 1 if xu < xv else -1
            su, tv = ("s", u, v), ("t", u, v)
            anchor_pos[su] = (xu + side * box_w[u] / 2, yu)
            anchor_pos[tv] = (xv - side * box_w[v] / 2, yv)
            anchors.add_edge(su, tv)
            rel = Relation(e["relation"])
            colours.append(RELATION_COLOURS[rel])
            widths.append((3.4 if e["lead"] else 1.5) if own else (1.9 if e["lead"] else 0.7))
            styles.append("--" if rel is Relation.reclaimed_from else "-")
        if anchors.number_of_edges():
            nx.draw_networkx_edges(
                anchors,
                anchor_pos,
                ax=ax,
                edge_color=colours,
                width=widths,
                style=styles,
                arrows=False,
                alpha=0.95 if own else 0.5,
            )

    def _boxes(self, ax: Any, centre: dict[str, tuple[float, float]]) -> None:
        for n in self.ordered:
            a = self.sub.nodes[n]
            ax.text(
                *centre[n],
                self.label(n),
                fontsize=self.FONT_PT,
                weight="bold" if n == self.focus else "normal",
                ha="center",
                va="center",
                zorder=3,
                bbox={
                    "boxstyle": f"round,pad={self.BOX_PAD}",
                    "facecolor": self.fill(n),
                    "edgecolor": "#333333" if n == self.focus else "#8c8c8c",
                    "linewidth": 1.6 if n == self.focus else 0.8,
                    "linestyle": "--" if a.get("kind") == BodyKind.placeholder.value else "-",
                },
            )


def _picture_title(
    rg: ResponsibilityGraph, sub: nx.DiGraph, focus: str, rows: dict[int, list[str]], body: str | Body | None
) -> str:
    township = " / ".join(rb.jurisdiction.township for rb in rg.rulebooks)
    fa = sub.nodes[focus]
    if fa.get("bipartite") == 0:
        return f"{fa['id']} {fa['title']}（{ListKind(fa['list']).label}）— 相关主体"
    who = body.name if isinstance(body, Body) else rg.resolve_body(str(body)).body.name
    counts: dict[Relation, int] = defaultdict(int)
    for m in rows.get(1, []):
        counts[Relation(sub.edges[focus, m]["relation"])] += 1
    summary = "，".join(f"{r.label} {counts[r]}" for r in Relation if counts[r])
    return f"{who}：{township}三张清单中的 {sum(counts.values())} 项事项（{summary}）"
