"""A reclaimed matter: the county took it back, so the township does not act.

Run: python examples/reclaimed_matter.py

Special equipment (a boiler) is 收回 R7: 县市场监督管理局 is the receiving department (承接部门);
the decision says reclaimed, names no cooperating body, and cites the receiver's 履职方式.
"""

from dutyroute import Router

router = Router.default()
d = router.route("村里一家豆腐坊的蒸汽锅炉好多年没人检验过，压力表也坏了")
print(f"status:      {d.status}")
print(f"matter:      {d.matter} {d.matter_detail.title if d.matter_detail else ''}")
print(f"acting:      {'、'.join(d.acting)}")
print(f"cooperating: {'、'.join(d.cooperating) or '—'}")
print(f"reclaimed:   {d.reclaimed}")
print(f"basis:       {d.basis}")
for body in d.acting_bodies:
    print(f"履职方式 of {body.name}: {'；'.join(body.clauses)}")
