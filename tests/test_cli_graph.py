"""The graph's command line: who, matter, graph export / draw / workload / shared, on the bundled rulebook."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import pytest

from dutyroute.cli import main


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv: str):
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return json.loads(out), err


# ── graph export ─────────────────────────────────────────────────────────────────────────────


def test_export_json_is_a_bipartite_graph_of_237_matters_with_no_orphans(capsys):
    data, _ = run_json(capsys, "graph", "export", "--format", "json")
    g = nx.node_link_graph(data, edges="edges")
    matters = [n for n, a in g.nodes(data=True) if a["bipartite"] == 0]
    assert len(matters) == 237
    assert nx.is_bipartite(g)
    assert all(a["bipartite"] == 1 for n, a in g.nodes(data=True) if n not in set(matters))
    counts = {
        k: sum(1 for n in matters if g.nodes[n]["list"] == k) for k in ("basic", "cooperative", "reclaimed")
    }
    assert counts == {"basic": 111, "cooperative": 75, "reclaimed": 51}
    for m in matters:  # no orphan: someone acts, leads or receives
        assert {g.edges[b, m]["relation"] for b in g.predecessors(m)} & {"acts", "leads", "receives"}, m
    township = [n for n, a in g.nodes(data=True) if a.get("kind") == "township"]
    assert township == ["xiaojingzhuang:xiaojingzhuang"]
    for m in matters:
        if g.nodes[m]["list"] == "reclaimed":  # the township never acts on an R matter
            assert g.edges[township[0], m]["relation"] == "reclaimed_from"
    assert data["graph"]["hashes"]["xiaojingzhuang"].startswith("sha256:")


def test_export_graphml_to_a_file(capsys, tmp_path):
    path = tmp_path / "g.graphml"
    code, _, err = run(capsys, "graph", "export", "--format", "graphml", "-o", str(path))
    assert code == 0 and "237 matters" in err
    g = nx.read_graphml(path)
    edge = g.edges["左云县:county.public_security", "xiaojingzhuang:C40"]
    assert edge["relation"] == "leads"
    assert any("噪声" in c for c in json.loads(edge["clauses"]))


def test_export_graphml_to_stdout(capsys):
    code, out, _ = run(capsys, "graph", "export", "-f", "graphml")
    assert code == 0 and out.lstrip().startswith("<?xml") and "xiaojingzhuang:C40" in out


# ── who ──────────────────────────────────────────────────────────────────────────────────────


def test_who_public_security_lists_the_matters_it_leads_and_receives(capsys):
    data, _ = run_json(capsys, "who", "县公安局", "--json")
    leads = {lk["matter"] for lk in data["links"] if lk["relation"] == "leads"}
    receives = {lk["matter"] for lk in data["links"] if lk["relation"] == "receives"}
    assert {"C16", "C40", "C61", "C72"} <= leads
    assert receives and all(m.startswith("R") for m in receives)
    assert data["body"]["name"] == "县公安局" and data["resolved_by"] == "exact"
    (c40,) = [lk for lk in data["links"] if lk["matter"] == "C40"]
    assert any("噪声" in c for c in c40["clauses"])
    assert data["counts"]["leads"] == len(leads)


def test_who_prints_a_table_per_relation(capsys):
    code, out, _ = run(capsys, "who", "县公安局")
    assert code == 0
    assert "leads" in out and "receives" in out
    for m in ("C16", "C40", "C61", "C72"):
        assert m in out
    assert "★" in out  # the matters where it is listed first (牵头)


def test_who_accepts_an_alias_and_says_so(capsys):
    data, err = run_json(capsys, "who", "县农业农村局", "--json")
    assert data["body"]["name"] == "县农业农村和水务局" and data["resolved_by"] == "alias"
    assert "县农业农村和水务局" in err


def test_who_accepts_a_close_spelling_with_did_you_mean(capsys):
    data, err = run_json(capsys, "who", "县应急管理", "--json")
    assert data["body"]["name"] == "县应急管理局" and data["resolved_by"] == "fuzzy"
    assert "did you mean 县应急管理局" in err


def test_who_unknown_body_is_one_clean_error_line(capsys):
    code, out, err = run(capsys, "who", "火星探测局")
    assert code == 2 and out == ""
    assert err.startswith("dutyroute: error:") and "火星探测局" in err and err.count("\n") == 1


def test_who_a_township_role_lists_the_basic_matters_its_office_acts_on(capsys):
    data, _ = run_json(capsys, "who", "综合行政执法队", "--json")
    assert data["links"] and {lk["relation"] for lk in data["links"]} == {"acts"}
    assert all(lk["matter"].startswith("B") and lk["role"] == "综合行政执法队" for lk in data["links"])


def test_who_a_sub_unit_lists_its_parents_links_that_name_it(capsys):
    data, _ = run_json(capsys, "who", "县交通警察大队", "--json")
    assert data["links"]
    assert all(lk["body"] == "县公安局" and "县交通警察大队" in lk["units"] for lk in data["links"])


def test_who_relation_filter(capsys):
    data, _ = run_json(capsys, "who", "县公安局", "-r", "receives", "--json")
    assert {lk["relation"] for lk in data["links"]} == {"receives"}


# ── matter ───────────────────────────────────────────────────────────────────────────────────


def test_matter_c40_has_every_departments_clauses_and_the_townships(capsys):
    data, _ = run_json(capsys, "matter", "C40", "--json")
    links = {lk["body"]: lk for lk in data["links"]}
    assert set(links) == {"县住房和城乡建设管理局", "市生态环境局左云分局", "县公安局", "小京庄乡"}
    assert links["县住房和城乡建设管理局"]["lead"] is True
    assert any("建筑工地" in c for c in links["县住房和城乡建设管理局"]["clauses"])
    assert any("企业噪声" in c for c in links["市生态环境局左云分局"]["clauses"])
    assert any("邻里" in c for c in links["县公安局"]["clauses"])
    assert links["小京庄乡"]["relation"] == "cooperates" and links["小京庄乡"]["clauses"]
    assert data["basis"].endswith("第40项 噪声污染防治")
    assert data["matter"]["id"] == "C40"


def test_matter_prints_the_record(capsys):
    code, out, _ = run(capsys, "matter", "c40")
    assert code == 0
    for text in ("C40", "噪声污染防治", "县住房和城乡建设管理局", "县公安局", "小京庄乡", "派单依据"):
        assert text in out


def test_matter_unknown_id_suggests_close_ones(capsys):
    code, _, err = run(capsys, "matter", "C400")
    assert code == 2 and "C400" in err and "did you mean" in err


def test_reclaimed_matter_record_names_receivers_and_the_township_that_lost_it(capsys):
    data, _ = run_json(capsys, "matter", "R18", "--json")
    rels = [(lk["body"], lk["relation"]) for lk in data["links"]]
    assert sum(1 for _, r in rels if r == "receives") == 4
    assert ("小京庄乡", "reclaimed_from") in rels


# ── draw, workload, shared ───────────────────────────────────────────────────────────────────


def test_draw_a_body_to_svg_keeps_chinese_text_as_text(capsys, tmp_path):
    path = tmp_path / "em.svg"
    code, _, err = run(capsys, "graph", "draw", "--body", "县应急管理局", "-o", str(path))
    assert code == 0, err
    svg = path.read_text(encoding="utf-8")
    assert "县应急管理局" in svg and "C74" in svg  # labels are text, not glyph paths
    assert "Noto Sans CJK SC" in svg  # the CJK font family list travels with the text


def test_draw_a_matter_to_png(capsys, tmp_path):
    path = tmp_path / "c40.png"
    code, _, err = run(capsys, "graph", "draw", "--matter", "C40", "-o", str(path))
    assert code == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("args", [[], ["--body", "县公安局", "--matter", "C40"]])
def test_draw_needs_exactly_one_focus(capsys, tmp_path, args):
    code, _, err = run(capsys, "graph", "draw", "-o", str(tmp_path / "x.svg"), *args)
    assert code == 2 and "exactly one" in err


def test_draw_rejects_an_unknown_picture_format(capsys, tmp_path):
    code, _, err = run(capsys, "graph", "draw", "--matter", "C40", "-o", str(tmp_path / "x.gif"))
    assert code == 2 and ".svg" in err


def test_workload_json(capsys):
    rows, _ = run_json(capsys, "graph", "workload", "--json")
    by = {r["body"]: r for r in rows}
    assert by["小京庄乡"]["acts"] == 111 and by["小京庄乡"]["cooperates"] == 75
    assert by["小京庄乡"]["reclaimed_from"] == 51
    assert sum(r["receives"] for r in rows) >= 51
    assert sum(r["lead_first"] for r in rows) == 75  # one 牵头 per cooperative matter


def test_shared_matters_of_two_bodies(capsys):
    rows, _ = run_json(capsys, "graph", "shared", "县公安局", "县应急管理局", "--json")
    assert rows and all(set(r) >= {"matter", "title", "县公安局", "县应急管理局"} for r in rows)


def test_console_script_runs_in_a_fresh_process():
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from dutyroute.cli import main; sys.exit(main())",
            "who",
            "县公安局",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "C40" in {lk["matter"] for lk in json.loads(proc.stdout)["links"]}


def test_draw_the_townships_lost_matters_only(capsys, tmp_path):
    path = tmp_path / "lost.svg"
    code, _, err = run(capsys, "graph", "draw", "--body", "小京庄乡", "-r", "reclaimed_from", "-o", str(path))
    assert code == 0, err
    svg = path.read_text(encoding="utf-8")
    assert "R1 " in svg and "R51 " in svg and "C40 " not in svg and "B1 " not in svg


def test_draw_a_sub_unit_at_its_parent_names_both(capsys, tmp_path):
    path = tmp_path / "unit.svg"
    code, _, err = run(capsys, "graph", "draw", "--body", "县交通警察大队", "-o", str(path))
    assert code == 0, err
    assert "县公安局（县交通警察大队）" in path.read_text(encoding="utf-8")


# ── names as dispatchers type them; nothing drawn empty ──────────────────────────────────────


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("住建局", "县住房和城乡建设管理局"),
        ("派出所", "县公安局"),
        ("交警", "县交通警察大队"),
        ("环保局", "市生态环境局左云分局"),
    ],
)
def test_who_takes_the_short_names_dispatchers_use(capsys, typed, canonical):
    data, err = run_json(capsys, "who", typed, "--json")
    assert data["body"]["name"] == canonical and data["resolved_by"] == "alias" and data["links"]
    assert f"another name of {canonical}" in err


def test_matter_accepts_an_exact_title_and_says_which_id_it_is(capsys):
    data, err = run_json(capsys, "matter", "噪声污染防治", "--json")
    assert data["matter"]["id"] == "C40" and "is the title of C40" in err


def test_matter_suggests_matters_by_title_for_a_title_it_does_not_know(capsys):
    code, out, err = run(capsys, "matter", "噪声污染")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "did you mean 'C40 噪声污染防治'" in err


def test_draw_a_relation_the_body_does_not_have_is_an_error_not_an_empty_picture(capsys, tmp_path):
    path = tmp_path / "x.svg"
    code, _, err = run(capsys, "graph", "draw", "--body", "县公安局", "-r", "acts", "-o", str(path))
    assert code == 2 and not path.exists()
    assert "县公安局 has no 'acts' links, only leads" in err and "--relation leads" in err
