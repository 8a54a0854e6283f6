"""Draw the responsibility-graph pictures kept under docs/graph/ (SVG for the docs, PNG preview).

Run from the repository root:

    python examples/graph_pictures.py            # writes docs/graph/*.svg and *.png

The same pictures come from the CLI, e.g.
``dutyroute graph draw --body 县公安局 -o docs/graph/public_security.svg``.
PNG output needs a CJK font on the machine (Debian: fonts-noto-cjk); SVG keeps the text as text
and lets the viewer pick a CJK font.
"""

from __future__ import annotations

from pathlib import Path

from dutyroute.graph import ResponsibilityGraph, available_cjk_fonts, draw_neighbourhood
from dutyroute.store.rulebook import load_rulebook

OUT = Path(__file__).resolve().parents[1] / "docs" / "graph"

PICTURES = {
    "public_security": {"body": "县公安局"},
    "emergency_management": {"body": "县应急管理局"},
    "matter_C40": {"matter": "C40"},
}


def _shrink_png(path: Path) -> None:
    """Flat colours: a 256-colour palette keeps the picture and cuts the file to about a third."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(
            colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    small.save(path, optimize=True)


def main() -> None:
    rg = ResponsibilityGraph(load_rulebook())
    formats = [".svg", ".png"] if available_cjk_fonts() else [".svg"]
    if formats == [".svg"]:
        print("no CJK font installed: writing SVG only (install fonts-noto-cjk for PNG previews)")
    for name, focus in PICTURES.items():
        for suffix in formats:
            path = draw_neighbourhood(rg, OUT / f"{name}{suffix}", **focus)
            if suffix == ".png":
                _shrink_png(path)
            print(f"wrote {path.relative_to(OUT.parents[1])}")


if __name__ == "__main__":
    main()
