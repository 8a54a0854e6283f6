"""A collapsed road: the road class decides, and the router asks when the text does not say it.

Run: python examples/collapsed_road.py

- village road → 基本 B82 (乡道村道的建设、养护和管理): 小京庄乡;
- county road → 配合 C62 (道路及其附属设施安全管理): 县交通运输局, 小京庄乡 cooperates;
- road class not said → needs_clarification: the question and the route per answer;
- the dispatcher asks, the caller says "县道", the answer goes back in as a fact.
"""

from dutyroute import Router

router = Router.default()


def show(text: str, **facts: str) -> None:
    d = router.route(text, facts=facts or None)
    print(f"incident: {text}" + (f"  facts={facts}" if facts else ""))
    print(f"  status:      {d.status}")
    if d.clarify is not None:
        print(f"  question:    {d.clarify.question}")
        for o in d.clarify.options:
            print(f"    answer {o.value}: {o.matter} acting {'、'.join(o.acting)}  ({o.basis})")
    else:
        print(f"  matter:      {d.matter} {d.matter_detail.title if d.matter_detail else ''}")
        print(f"  acting:      {'、'.join(d.acting)}")
        print(f"  cooperating: {'、'.join(d.cooperating) or '—'}")
        print(f"  basis:       {d.basis}")
    print()


show("村里通往后沟的水泥路塌了个大坑，三轮车过不去")
show("县道上塌了一个大坑，好几辆车都颠坏了")
show("路面塌下去一大块，晚上看不清很危险")
show("路面塌下去一大块，晚上看不清很危险", road_class="县道")
