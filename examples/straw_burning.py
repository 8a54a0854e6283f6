"""Straw burning: who acts depends on where the fire is.

Run: python examples/straw_burning.py

- in a field → 基本 B96 (对露天焚烧秸秆…的处罚): 小京庄乡 acts (its 综合行政执法队);
- in a forest fire zone → 收回 R42: reclaimed by 县规划和自然资源局;
- the same text with the caller's fact forest_zone=在 → R42 too.
"""

from dutyroute import Router

router = Router.default()


def show(text: str, **facts: str) -> None:
    d = router.route(text, facts=facts or None)
    print(f"incident: {text}" + (f"  facts={facts}" if facts else ""))
    print(f"  status:      {d.status}")
    print(f"  matter:      {d.matter} {d.matter_detail.title if d.matter_detail else ''}")
    print(f"  acting:      {'、'.join(d.acting)}" + (f"（{d.township_role}）" if d.township_role else ""))
    print(f"  cooperating: {'、'.join(d.cooperating) or '—'}")
    print(f"  reclaimed:   {d.reclaimed}")
    print(f"  basis:       {d.basis}")
    print()


show("网格员报告：东梁上有村民在自家玉米地里点火烧秸秆，浓烟往村里飘")
show("有人在林区边上烧荒，火星子都快飘到松树林里了")
show("有人在地头烧玉米秆", forest_zone="在")
