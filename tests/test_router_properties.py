"""Properties of routing over arbitrary text (hypothesis)."""

from __future__ import annotations

from budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dutyroute import IncidentTextError
from dutyroute.model.decision import Decision
from dutyroute.routing.router import Router
from dutyroute.text.normalize import normalize

SETTINGS = settings(
    max_examples=examples(150),
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

INCIDENTS = [
    "村西头有人在自家地里烧麦秸",
    "县道上塌了一个大坑",
    "对门那户每晚十二点后开着音箱唱歌",
    "村里想开家烟酒店个体户执照去哪办",
    "给老板干了半年活工钱一分没给",
    "路面塌下去一块车过不去",
    "护照到期了怎么换新的",
]

html = st.builds(
    lambda tag, body: f"<{tag}>{body}</{tag}>",
    st.sampled_from(["p", "div", "span", "b"]),
    st.text(max_size=50),
)
emoji = st.text(alphabet=st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF), max_size=30)
cjk = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=200)
noise = st.one_of(
    st.randoms(use_true_random=False).map(
        lambda r: "".join(chr(r.randrange(0, 0x30000)) for _ in range(10_000))
    ),
    st.text(min_size=1, max_size=200).map(lambda s: (s * (10_000 // len(s) + 1))[:10_000]),
)
anything = st.one_of(st.text(max_size=300), html, emoji, cjk, st.sampled_from(INCIDENTS))


def _outcome(router: Router, text: str) -> Decision | None:
    try:
        d = router.route(text)
    except IncidentTextError:
        return None
    assert isinstance(d, Decision)
    return d


@SETTINGS
@given(anything)
def test_any_text_gives_a_decision_or_incident_text_error(router: Router, text: str) -> None:
    d = _outcome(router, text)
    if d is not None:
        assert d.status in {"routed", "needs_clarification", "unmatched"}
        assert 0.0 <= d.confidence <= 1.0
        # only a routed decision names a matter; a question carries its routes in the options
        assert (d.matter is None) == (d.status != "routed")
        assert (d.clarify is not None) == (d.status == "needs_clarification")


@settings(
    max_examples=examples(20),
    deadline=None,
    # drawing 10,000 characters is slow by design, and slower still while the other xdist worker
    # starts Spark's JVM: the health check would time the machine, not the router
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.large_base_example,
        HealthCheck.too_slow,
    ],
)
@given(noise)
def test_ten_thousand_characters_of_noise(router: Router, text: str) -> None:
    _outcome(router, text)


@SETTINGS
@given(anything)
def test_routing_is_deterministic(router: Router, text: str) -> None:
    a, b = _outcome(router, text), _outcome(router, text)
    assert (a is None and b is None) or (a is not None and b is not None and a.model_dump() == b.model_dump())


def _route_key(d: Decision | None) -> tuple:
    if d is None:
        return ("error",)
    return (d.status, d.matter, d.acting, d.cooperating, d.reclaimed, d.clarify)


FULL_WIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


@SETTINGS
@given(
    st.sampled_from(INCIDENTS),
    st.sampled_from(["", " ", "   ", "\n", "\t", "\u3000"]),
    st.sampled_from(["", "。", "！！", "？", "...", "～", "!!!"]),
)
def test_whitespace_full_width_and_trailing_punctuation_do_not_change_the_route(
    router: Router, text: str, space: str, tail: str
) -> None:
    base = _route_key(_outcome(router, text))
    spaced = space.join(text) + space
    assert _route_key(_outcome(router, spaced + tail)) == base
    assert _route_key(_outcome(router, text.translate(str.maketrans(FULL_WIDTH)) + tail)) == base
    assert _route_key(_outcome(router, f"  {text}{tail}  ")) == base


@SETTINGS
@given(anything)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
