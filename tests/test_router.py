"""The router's behaviour: the contrasts the lists force, the API, the Decision's fields."""

from __future__ import annotations

import threading

import pytest
from listkit import BATCH_FIELDS
from pydantic import ValidationError

from dutyroute import IncidentTextError, NotFoundError
from dutyroute.errors import UnroutedError
from dutyroute.model.decision import Decision
from dutyroute.routing.router import MAX_TEXT_CHARS, Router


def route(router: Router, text: str, **kw: object) -> Decision:
    return router.route(text, **kw)  # type: ignore[arg-type]


# ── contrasts the lists force ──────────────────────────────────────────────────────────────
class TestBurning:
    def test_straw_burning_in_a_field_is_the_townships(self, router: Router) -> None:
        """Open burning of straw outside a forest fire zone: 基本 B96, the township acts."""
        d = route(router, "村西头有人在自家地里烧麦秸，烟熏得睁不开眼")
        assert (d.status, d.matter, d.acting) == ("routed", "B96", ("小京庄乡",))
        assert d.township_role == "综合行政执法队"

    def test_fire_use_in_a_forest_fire_zone_is_reclaimed(self, router: Router) -> None:
        """Fire use inside a forest fire zone: 收回 R42, 县规划和自然资源局, reclaimed."""
        d = route(router, "有人在林区里点火烧荒，离树林只有几米")
        assert (d.matter, d.acting, d.reclaimed, d.cooperating) == ("R42", ("县规划和自然资源局",), True, ())

    def test_forest_fire_prevention_is_cooperative(self, router: Router) -> None:
        """Fire-prevention checkpoints and patrols: 配合 C72, 县规划和自然资源局; the township cooperates."""
        d = route(router, "防火期到了，上山的路口也没人设卡检查火种")
        assert (d.matter, d.acting, d.cooperating) == ("C72", ("县规划和自然资源局",), ("小京庄乡",))

    def test_caller_fact_overrides_the_text(self, router: Router) -> None:
        d = route(router, "有人在地头烧玉米秆", facts={"forest_zone": "在"})
        assert d.matter == "R42"
        assert d.trace.facts["forest_zone"].source == "caller"


class TestRoads:
    def test_damaged_village_road_is_the_townships(self, router: Router) -> None:
        d = route(router, "村里的巷道路面裂开一道大口子，下雨就塌")
        assert d.status == "routed" and d.matter in {"B82", "B103"} and d.acting == ("小京庄乡",)

    def test_damaged_county_road_is_the_transport_bureaus(self, router: Router) -> None:
        d = route(router, "县道上塌了一个大坑，好几辆车都颠坏了")
        assert (d.matter, d.acting) == ("C62", ("县交通运输局",))

    def test_unknown_road_class_asks_with_a_route_per_answer(self, router: Router) -> None:
        d = route(router, "路面塌下去一块，车过不去")
        assert d.status == "needs_clarification" and d.clarify is not None
        assert d.clarify.fact == "road_class" and "县道" in d.clarify.question
        by_value = {o.value: o for o in d.clarify.options}
        assert by_value["村道"].matter == "B82" and by_value["村道"].acting == ("小京庄乡",)
        assert by_value["县道"].matter == "C62" and by_value["县道"].acting == ("县交通运输局",)

    def test_a_question_presents_no_provisional_route(self, router: Router) -> None:
        d = route(router, "路面塌下去一块，车过不去")
        assert d.status == "needs_clarification"
        assert (d.matter, d.acting, d.cooperating, d.basis, d.matter_detail) == (None, (), (), None, None)
        assert not d.acting_bodies and not d.basis_clauses and not d.reclaimed
        option_matters = {o.matter for o in d.clarify.options}
        assert option_matters & {a.matter for a in d.alternatives}
        batch = d.to_batch("x")
        assert batch["matter"] is None and batch["acting"] == [] and batch["basis"] is None

    def test_answering_the_question_gives_that_answers_route(self, router: Router) -> None:
        d = route(router, "路面塌下去一块，车过不去")
        assert d.clarify is not None
        for o in d.clarify.options:
            again = route(router, "路面塌下去一块，车过不去", facts={"road_class": o.value})
            assert (again.status, again.matter, again.acting) == ("routed", o.matter, o.acting)


class TestSmoke:
    def test_restaurant_fumes_are_c36(self, router: Router) -> None:
        d = route(router, "楼下饭馆的排烟管正对着我家窗户，炒菜的油烟天天往屋里灌")
        assert (d.matter, d.acting) == ("C36", ("县市场监督管理局",))

    def test_outdoor_barbecue_is_c36(self, router: Router) -> None:
        assert route(router, "广场边上每晚有人露天烤肉串，烟熏火燎").matter == "C36"

    def test_factory_smoke_is_c39_ecology(self, router: Router) -> None:
        d = route(router, "村外那家铸件厂的烟囱整夜冒黑烟，窗台上一层黑灰")
        assert (d.matter, d.acting) == ("C39", ("市生态环境局左云分局",))


class TestHouses:
    def test_house_on_farmland_is_r38(self, router: Router) -> None:
        d = route(router, "有人在村北的玉米地里打地基准备盖房")
        assert (d.matter, d.acting, d.reclaimed) == ("R38", ("县规划和自然资源局",), True)

    def test_unapproved_homestead_house_is_r44(self, router: Router) -> None:
        d = route(router, "有户村民没批宅基地，私自占了村里的场院盖房")
        assert (d.matter, d.acting, d.reclaimed) == ("R44", ("县农业农村和水务局",), True)

    def test_building_beyond_the_permit_is_b80(self, router: Router) -> None:
        d = route(router, "他家宅基地批的是平房，现在加盖到了三层")
        assert (d.matter, d.acting) == ("B80", ("小京庄乡",))


class TestWages:
    def test_unpaid_wages_are_c14(self, router: Router) -> None:
        d = route(router, "给老板干了半年活，到现在工钱一分没给，人也躲着不见")
        assert (d.matter, d.acting, d.reclaimed) == ("C14", ("县民政和人力资源社会保障局",), False)

    def test_wage_payment_system_is_reclaimed_r9(self, router: Router) -> None:
        d = route(router, "工地上工资从来不按月发，也不走银行代发，都是包工头拿现金给")
        assert (d.matter, d.reclaimed) == ("R9", True)


class TestNoise:
    @pytest.mark.parametrize(
        ("text", "acting"),
        [
            ("隔壁工地夜里打桩，整晚睡不着", "县住房和城乡建设管理局"),
            ("村口那家洗煤厂的机器日夜轰鸣，噪音太大", "市生态环境局左云分局"),
            ("对门那户每晚十二点后开着音箱唱歌，劝了也不听", "县公安局"),
        ],
    )
    def test_noise_goes_to_the_department_of_its_source(self, router: Router, text: str, acting: str) -> None:
        d = route(router, text)
        assert (d.matter, d.acting, d.cooperating) == ("C40", (acting,), ("小京庄乡",))

    def test_noise_of_unknown_source_asks(self, router: Router) -> None:
        d = route(router, "天天半夜都有很大的噪音，根本睡不着觉")
        assert d.status == "needs_clarification" and d.clarify is not None
        assert {o.acting[0] for o in d.clarify.options} == {
            "县住房和城乡建设管理局",
            "市生态环境局左云分局",
            "县公安局",
        }


# ── the Decision ───────────────────────────────────────────────────────────────────────────
def test_dump_has_the_batch_fields_and_more(router: Router) -> None:
    d = route(router, "村里有人往河沟里乱倒生活垃圾")
    dump = d.model_dump(mode="json")
    assert BATCH_FIELDS <= set(dump)
    assert {
        "township_role",
        "matter_detail",
        "acting_bodies",
        "cooperating_bodies",
        "basis_clauses",
        "trace",
        "rulebook_hash",
    } <= set(dump)
    assert dump["rulebook_hash"] == router.rulebook.hash
    assert set(d.to_batch("x1")) >= BATCH_FIELDS | {"id"}


def test_cooperative_decision_carries_the_township_clauses(router: Router) -> None:
    """Cooperating bodies come with their duty clauses for this matter (乡镇配合职责)."""
    d = route(router, "楼下饭馆的排烟管正对着我家窗户，油烟天天往屋里灌")
    coop = d.cooperating_bodies[0]
    assert coop.name == "小京庄乡"
    assert coop.clauses == router.rulebook.matter("C36").township_clauses
    assert d.acting_bodies[0].clauses == router.rulebook.matter("C36").departments[0].clauses
    assert d.basis == "《大同市左云县小京庄乡配合履职事项清单》第36项 露天烧烤及油烟扰民的监管"


def test_sub_unit_is_reported_beside_its_parent(router: Router) -> None:
    """县公安局（县交通警察大队）: the parent acts, the sub-unit is named beside it."""
    d = route(router, "拖拉机拉玉米在村口跟电动车撞了，双方为事故责任吵起来")
    assert d.matter == "C22" and d.acting == ("县公安局",)
    assert d.acting_bodies[0].sub_unit == "县交通警察大队"


def test_reclaimed_matter_has_receiving_department_and_no_cooperation(router: Router) -> None:
    d = route(router, "村里想开家烟酒店，个体户执照去哪办")
    assert (d.matter, d.acting, d.reclaimed, d.cooperating) == ("R1", ("县行政审批服务管理局",), True, ())


def test_joint_receivers_act_together(router: Router) -> None:
    """R26's receiver row names three departments jointly: all three act."""
    d = route(router, "我们村的征地补偿标准太低，比邻县差一大截，要求重新核定")
    assert d.matter == "R26"
    assert set(d.acting) == {"县财政局", "县规划和自然资源局", "县住房和城乡建设管理局"}


def test_placeholder_bodies_never_act(router: Router) -> None:
    d = route(router, "工人下化粪池清淤，老板连个防护用品都不发，也没有警示标志")
    assert d.matter == "R41" and d.acting == ("县应急管理局",)


def test_alternatives_are_ranked_and_bounded(router: Router) -> None:
    d = route(router, "路面塌下去一块，车过不去", limit=3)
    assert len(d.alternatives) <= 3
    confs = [a.confidence for a in d.alternatives]
    assert confs == sorted(confs, reverse=True)
    assert all(0 <= c <= 1 for c in [d.confidence, *confs])
    assert route(router, "路面塌下去一块", limit=0).alternatives == ()


def test_basis_clauses_come_from_the_matter(router: Router) -> None:
    d = route(router, "对门那户每晚十二点后开着音箱唱歌，劝了也不听")
    m = router.rulebook.matter("C40")
    texts = {m.title, *m.clauses()}
    assert d.basis_clauses and all(c.text in texts for c in d.basis_clauses)


def test_out_of_scope_is_unmatched_not_a_guess(router: Router) -> None:
    for text in ("护照到期了怎么换新的", "手机信号太差打不了电话", "网上买的衣服尺码不对商家不给换"):
        d = route(router, text)
        assert d.status == "unmatched", (text, d.matter)
        assert d.matter is None and d.acting == () and d.basis is None


def test_raise_for_unrouted(router: Router) -> None:
    ok = route(router, "村西头有人在自家地里烧麦秸")
    assert ok.raise_for_unrouted() is ok
    with pytest.raises(UnroutedError, match="needs clarification") as exc:
        route(router, "路面塌下去一块，车过不去").raise_for_unrouted()
    assert exc.value.decision.clarify is not None  # type: ignore[attr-defined]
    with pytest.raises(UnroutedError, match="unmatched"):
        route(router, "护照到期了怎么换新的").raise_for_unrouted()


# ── errors ─────────────────────────────────────────────────────────────────────────────────
@pytest.mark.parametrize("text", ["", "   ", "！！。。", "<p></p>", "😀😀"])
def test_empty_text_is_an_incident_text_error(router: Router, text: str) -> None:
    with pytest.raises(IncidentTextError, match="empty after normalisation") as exc:
        router.route(text)
    assert exc.value.length == 0 and exc.value.limit == MAX_TEXT_CHARS


def test_oversized_text_names_the_limit(router: Router) -> None:
    with pytest.raises(IncidentTextError, match="5000") as exc:
        router.route("烧秸秆" * 2000)
    assert exc.value.length == 6000
    assert router.route("烧秸秆" * 1600).status in {"routed", "needs_clarification"}  # 4,800 characters


def test_unknown_fact_is_a_lookup_error_with_suggestions(router: Router) -> None:
    with pytest.raises(NotFoundError, match="road_class"):
        router.route("路面塌了", facts={"road_clas": "县道"})
    with pytest.raises(NotFoundError, match="县道"):
        router.route("路面塌了", facts={"road_class": "高速公路"})


def test_route_many_keeps_order_and_names_the_bad_index(router: Router) -> None:
    texts = ["村西头有人在自家地里烧麦秸", "村里想开家烟酒店，个体户执照去哪办"]
    assert [d.matter for d in router.route_many(texts)] == ["B96", "R1"]
    with pytest.raises(IncidentTextError, match="text 1"):
        router.route_many(["村西头有人烧麦秸", "  "])


# ── immutability and threads ───────────────────────────────────────────────────────────────
def test_default_router_is_shared() -> None:
    assert Router.default() is Router.default()


def test_default_router_is_built_once_when_threads_race() -> None:
    from dutyroute.routing import router as router_module

    router_module._build_default_router.cache_clear()
    barrier = threading.Barrier(8)
    got: list[Router] = []

    def build() -> None:
        barrier.wait()
        got.append(Router.default())

    threads = [threading.Thread(target=build) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len({id(r) for r in got}) == 1


def test_router_refuses_attribute_changes(router: Router) -> None:
    with pytest.raises(AttributeError, match="immutable"):
        router.rulebook = None  # type: ignore[assignment]
    with pytest.raises(AttributeError, match="immutable"):
        router.custom = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError, match="immutable"):
        del router.rules
    assert router.route("村西头有人在自家地里烧麦秸").matter == "B96"


def test_router_is_safe_to_share_between_threads(router: Router) -> None:
    texts = [
        "村西头有人在自家地里烧麦秸",
        "路面塌下去一块",
        "对门那户每晚十二点后开着音箱唱歌",
        "村里想开家烟酒店个体户执照去哪办",
    ] * 10
    expected = [router.route(t).model_dump() for t in texts]
    results: list[list[dict]] = []

    def work() -> None:
        results.append([router.route(t).model_dump() for t in texts])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def test_decision_is_immutable(router: Router) -> None:
    d = router.route("村西头有人在自家地里烧麦秸")
    with pytest.raises(ValidationError):  # frozen model
        d.matter = "B1"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "matter"),
    [("地头有人在烧桔杆", "B96"), ("家里困难想申请抵保", "C11"), ("村口乱到垃圾的人太多了", "B97")],
)
def test_common_typos_are_corrected_before_matching(router: Router, text: str, matter: str) -> None:
    """rules/lexicon.yaml `typos`: input-method slips in key words do not lose the route."""
    d = route(router, text)
    assert d.matter == matter
    assert d.trace.text == text  # the trace keeps the text as written (normalised)


# ── general words do not decide on their own ───────────────────────────────────────────────
def test_a_loose_word_counts_only_beside_its_co_words(router: Router) -> None:
    """rules/lexicon.yaml `loose`/`with`: 追回 is benefit recovery beside a benefit, not beside wages."""
    wages = route(router, "帮我们干了一年活的工钱到现在没结，求乡里帮忙追回来")
    assert wages.matter not in {"C13", "R11", "R12"}
    benefit = route(router, "有人冒领计生扶助金好几年了，这笔钱该追回")
    assert benefit.matter == "R12"


def test_background_clauses_weigh_less_than_the_complaint(router: Router) -> None:
    """A licence the bar owner brags about is background; the complaint is the noise."""
    text = (
        "集镇上新开的一家歌厅每天从晚上八点唱到半夜两点，音响震得窗户都响，家里老人整宿睡不着，"
        "我们上门说过，老板说他们手续齐全，营业执照也有，爱去哪告去哪告，我们打过110也没用，"
        "希望有人管管这个噪音"
    )
    d = route(router, text)
    assert d.status != "unmatched" and d.matter != "R1"
    assert d.matter == "C40" or (d.clarify and any(o.matter == "C40" for o in d.clarify.options))


def test_a_setting_noun_weighs_less_than_the_complaint(router: Router) -> None:
    """承包地 names where the rubble lies; the complaint is the dumping. Said alone it is the matter."""
    dumped = route(router, "有人半夜开车把装修拆下来的碎砖烂瓦倒进了我家承包地，一亩多地没法种了")
    assert dumped.status == "routed" and dumped.matter in {"B99", "C48", "C43"}, (
        dumped.status,
        dumped.matter,
    )
    contract = route(router, "承包地的合同到期了，村里不给续包，也不退地")
    assert contract.matter == "B64", (contract.status, contract.matter)


def test_a_setting_noun_alone_is_not_damped(router: Router) -> None:
    """With no other concept the setting noun is what the text is about (五保户 → support matters)."""
    d = route(router, "村里的五保户今年的供养金还没发")
    got = {d.matter} if d.status == "routed" else {o.matter for o in (d.clarify.options if d.clarify else ())}
    assert "B41" in got, (d.status, d.matter)


def test_a_letters_title_weighs_like_the_request(router: Router) -> None:
    """标题：… 内容：… — the title names the complaint; its concepts count ASK_BOOST (1.5) more."""
    from dutyroute.routing.evidence import _TITLE

    assert _TITLE.match("标题，低保被停了。内容，我家种着几亩地").group(1) == "低保被停了"
    assert _TITLE.match("标题五保老人的窑洞裂了内容我们村").group(1) == "五保老人的窑洞裂了"
    assert _TITLE.match("低保被停了，标题不在开头") is None
    body = "我家种着几亩承包地，今年地里收成也不好，老伴常年吃药"
    titled = route(router, "标题：低保被停了。内容：" + body)
    plain = route(router, "低保被停了。" + body)
    assert titled.matter == plain.matter == "C11"
    top = {c.matter: c.concepts for c in titled.trace.candidates}
    assert top["C11"] > {c.matter: c.concepts for c in plain.trace.candidates}["C11"]


# ── homophone typos (toneless pinyin, fallback pass) ───────────────────────────────────────
@pytest.mark.parametrize(
    ("text", "matters"),
    [
        ("村头那条沟成了垃级场，天天有人往里倒", {"B97"}),
        ("有人在自家院子里偷着做鞭跑往外卖", {"R35"}),
        ("宅基地上盖的房子想办不动产正", {"R28"}),
        ("老伴瘫在床上家里困男，想申清低保", {"C11", "B41"}),
    ],
)
def test_homophone_typos_are_repaired_when_the_exact_pass_finds_little(
    router: Router, text: str, matters: set[str]
) -> None:
    d = route(router, text)
    got = {d.matter} if d.status == "routed" else {o.matter for o in (d.clarify.options if d.clarify else ())}
    assert got & matters, (d.status, d.matter)
    assert d.trace.text == text  # the trace keeps the text as written


def test_the_repair_is_in_the_trace(router: Router) -> None:
    d = route(router, "村口的垃级堆成山了")
    assert d.matter == "B97"
    assert [r.effect for r in d.trace.rules if r.rule == "pinyin-repair"] == ["垃级堆成→垃圾堆成"]


def test_pinyin_repair_keeps_the_first_character_and_leaves_exact_words() -> None:
    from dutyroute.text.pinyin import PinyinRepair

    rep = PinyinRepair(["垃圾", "申请", "宅基地", "矸子"])
    assert rep.repair("垃级申清") == ("垃圾申请", [("垃级", "垃圾"), ("申清", "申请")])
    assert rep.repair("玉米杆子") == ("玉米杆子", [])  # 杆子 sounds like 矸子 but starts otherwise
    assert rep.repair("垃圾") == ("垃圾", [])


def test_a_screened_text_is_not_second_guessed_by_the_repair(router: Router) -> None:
    assert route(router, "车辆年检在哪里做").status == "unmatched"
