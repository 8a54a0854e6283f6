"""A batch of hotline messages routed in one go, printed as a dispatch table.

Run: python examples/hotline_batch.py

The same shape as `dutyroute batch IN.jsonl -o OUT.jsonl`: one decision per message, in order,
each line in the batch format of cases/README.md (Decision.to_batch()).
"""

import json

from dutyroute import Router

messages = [
    ("h1", "来电人反映村里的垃圾桶一个礼拜没人清运，垃圾都溢到路上了"),
    ("h2", "想给孩子申请雨露计划补助，需要准备什么材料"),
    ("h3", "邻居家的牛粪堆在巷子口大半年了，臭得人过不去"),
    ("h4", "在工地干了三个月，包工头一直拖着工资不给"),
    ("h5", "村里有人往河沟里倒废机油，水面上一层油花"),
    ("h6", "想问一下驾驶证到期了去哪里换"),
]
router = Router.default()
decisions = router.route_many([text for _, text in messages])
for (case_id, text), d in zip(messages, decisions, strict=False):
    row = d.to_batch(case_id)
    print(f"{case_id} {d.status:<20} {d.matter or '-':<5} {'、'.join(d.acting) or '-':<24} {text}")
print()
print("first line as JSONL:")
print(json.dumps(decisions[0].to_batch(messages[0][0]), ensure_ascii=False))
