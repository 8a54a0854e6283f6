"""Noise: one matter (配合 C40), three departments — the source of the noise decides who acts.

Run: python examples/noise_sources.py

construction site → 县住房和城乡建设管理局; enterprise → 市生态环境局左云分局;
neighbours / social noise → 县公安局; unknown source → a clarifying question.
"""

from dutyroute import Router

router = Router.default()
texts = [
    "村东头新楼盘工地过了十一点还在打桩，吵得人没法睡",
    "村北那家石料厂的破碎机白天黑夜地响，噪音特别大",
    "隔壁邻居天天半夜放高音喇叭唱歌，劝了也不听",
    "每天后半夜都有咚咚的响声，根本睡不着",
]
for text in texts:
    d = router.route(text)
    print(f"incident: {text}")
    print(
        f"  status: {d.status}  matter: {d.matter}  acting: {'、'.join(d.acting)}  "
        f"cooperating: {'、'.join(d.cooperating)}"
    )
    if d.clarify is not None:
        print(f"  question: {d.clarify.question}")
        for o in d.clarify.options:
            print(f"    answer {o.value}: acting {'、'.join(o.acting)}")
    else:
        department = d.acting_bodies[0]
        print(f"  {department.name}'s clause: {'；'.join(department.clauses)}")
    print()
