"""Every example sentence in rules/routing.yaml routes as its rule says (the rules carry their own proof)."""

from __future__ import annotations

import pytest

from dutyroute.model.rules import Example
from dutyroute.routing.router import Router
from dutyroute.store.rules import load_rules

RULES = load_rules()
EXAMPLES: list[tuple[str, Example]] = [
    (holder.id, ex) for holder in (*RULES.contrasts, *RULES.rules) for ex in holder.examples
]


def test_every_rule_and_contrast_has_examples() -> None:
    """A rule without an example sentence proves nothing."""
    bare = [h.id for h in (*RULES.contrasts, *RULES.rules) if not h.examples]
    assert bare == []


def test_every_rule_has_a_reason_citing_a_list_item() -> None:
    """Reasons cite list items (B96, C40, R42 …) so a reviewer can check them against the lists."""
    import re

    uncited = [h.id for h in (*RULES.contrasts, *RULES.rules) if not re.search(r"[BCR]\d+", h.reason)]
    assert uncited == []


@pytest.mark.parametrize(("rule", "example"), EXAMPLES, ids=[f"{r}:{e.text[:12]}" for r, e in EXAMPLES])
def test_rule_example(router: Router, rule: str, example: Example) -> None:
    d = router.route(example.text, facts=dict(example.facts) or None)
    got = f"{d.status} {d.matter} {list(d.acting)} rules={[f.rule for f in d.trace.rules]}"
    if example.expect in ("unmatched", "needs_clarification"):
        assert d.status == example.expect, got
    elif example.expect is not None:
        assert d.status == "routed" and d.matter == example.expect, got
        if example.acting is not None:
            assert set(d.acting) == set(example.acting), got
    if example.not_ in ("unmatched", "needs_clarification"):
        assert d.status != example.not_, got
    elif example.not_ is not None:
        assert d.matter != example.not_ or d.status != "routed", got
