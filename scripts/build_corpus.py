#!/usr/bin/env python3
"""Build ``corpus/`` from the writers' raw files, the second readers' verdicts and the referees.

    python scripts/build_corpus.py --raw RAW/ --reviews REVIEW/ [--referees REFEREE/] \
        [--out corpus/] [--report corpus/REVIEW.md] [--unreviewed keep|drop] [--append BATCH]
    python scripts/build_corpus.py --relabel POLICY --rulings RULINGS/ --checks CHECKS/ [--out corpus/]

Inputs (kept outside the repository; the corpus is what they produce):

- ``RAW/<writer>.jsonl``: ``{id, text, accept: [{matter, acting}], clarify, style, tags, note}``;
- ``REVIEW/<reader>-<writer>.jsonl``: ``{id, verdict: agree|disagree|bad_text, accept?, clarify?,
  reason?}`` (a second reader's verdict on each record);
- ``REFEREE/*.jsonl``: ``{id, decision: writer|reader|own|drop, accept?, clarify?, reason}``, the third
  reader's ruling on each disagreement; a ruling ``own`` or ``drop`` on a record the second reader
  agreed with is a policy ruling (the batch brief said otherwise than the lists, and the lead had
  those records re-read by the policy) and applies too.

A record enters the corpus when the second reader agrees, or the referee settles the disagreement
(with the writer's, the reader's or the referee's own label); ``bad_text`` and ``drop`` records
leave, and so do unsettled disagreements. Then, in order:

1. acting bodies are made one acting option of the matter (:func:`dutyroute.tools.corpus.acting_sets`):
   a part of joint receivers becomes the whole joint option; a department of a joint header acts as
   that header's option; several departments with options of their own become one route each;
2. cooperating and reclaimed are filled in from the list (cooperative → the township cooperates;
   reclaimed → ``reclaimed: true``), ``out_of_scope`` tagged;
3. a text that repeats an earlier one (punctuation ignored), nearly copies it
   (:func:`dutyroute.tools.corpus.near_duplicates`), nearly copies a dev or ``eval/`` text (4-gram
   Jaccard ≥ 0.5), shares a 12-character run with dev or ``eval/``, or a 16-character run with a
   real message of ``../shared/realdata`` (letters share their formulas), is left out.

With ``--relabel POLICY`` no record is added: the lead's policy ruling on labels already in the
corpus is applied. ``RULINGS/*.jsonl`` hold a re-reading of chosen corpus records under the policy,
``{id, decision: keep|own, accept?, clarify?, reason}``; ``CHECKS/*.jsonl`` hold a second reader's
verdict on each ``own`` ruling, ``{id, verdict: agree|disagree, reason}``. A record's label changes
only when the second reader agrees: its ``accept`` and ``clarify`` become the ruling's (normalised as
above), its ``note`` the ruling's reason, ``out_of_scope``/``oos:*`` tags leave, ``policy:POLICY``
is tagged and ``review`` says ``policy:POLICY``. A disputed or unchecked ruling leaves the label as
it was; both are counted.

Every step's count is printed and written to the report, and kept by batch in ``REVIEW.json`` beside
it. With ``--append BATCH`` the corpus already in ``--out`` stays as it is (its raw files need not be at
hand) and the writers of ``RAW/`` are added as a new batch: their texts are also left out when they
repeat or nearly copy a corpus text, and the report sums all batches.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dutyroute.model.lists import ListKind
from dutyroute.store.rulebook import load_rulebook
from dutyroute.tools.corpus import (
    COPY_SPAN,
    REAL_COPY_SPAN,
    acting_sets,
    near_copies_of,
    near_duplicates,
    sharing_spans,
    squash,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


DECISIONS = ("writer", "reader", "own", "drop")


def _jsonl(path: Path) -> list[dict[str, Any]]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError as exc:
                print(f"{path}:{n}: skipped, not JSON ({exc})", file=sys.stderr)
    return out


def _measured_texts() -> list[str]:
    """The texts of dev and eval/ (what the router is measured on)."""
    texts: list[str] = []
    for f in [SHARED / "cases" / "dev.jsonl", *sorted((ROOT / "eval").glob("*.jsonl"))]:
        if f.exists():
            texts += [str(r.get("text", "")) for r in _jsonl(f)]
    return texts


def _real_messages() -> Iterator[str]:
    """Every row of the real messages (streamed)."""
    csv.field_size_limit(10**7)
    for f in sorted((SHARED / "realdata").glob("*.csv")):
        with f.open(encoding="utf-8", errors="replace", newline="") as fh:
            for row in csv.reader(fh):
                yield "".join(row)


def _normalise(route: dict[str, Any], options: dict[str, list[frozenset[str]]]) -> list[dict[str, Any]]:
    mid = route.get("matter")
    acting = frozenset(route.get("acting") or ())
    opts = options.get(str(mid))
    if not opts:
        return []
    if acting in opts:
        return [{"matter": mid, "acting": sorted(acting)}]
    for o in opts:  # a part of a joint receiver block acts with the whole block
        if acting and acting < o and len(o) > 1:
            return [{"matter": mid, "acting": sorted(o)}]
    out = []
    for body in route.get("acting") or ():
        single = [o for o in opts if body in o]
        if single:
            out.append({"matter": mid, "acting": sorted(single[0])})
    if not out:  # a department of a joint header (identical clauses) acts as the header's option
        grouped = [o for o in opts if len(o) == 1]
        if grouped and acting:
            out.append({"matter": mid, "acting": sorted(grouped[0])})
    unique: list[dict[str, Any]] = []
    for r in out:
        if r not in unique:
            unique.append(r)
    return unique


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--raw", type=Path)
    ap.add_argument("--reviews", type=Path)
    ap.add_argument("--referees", type=Path)
    ap.add_argument("--out", type=Path, default=ROOT / "corpus")
    ap.add_argument("--report", type=Path, default=ROOT / "corpus" / "REVIEW.md")
    ap.add_argument("--unreviewed", choices=("keep", "drop"), default="drop")
    ap.add_argument(
        "--append",
        metavar="BATCH",
        help="add the writers of RAW/ to the corpus already in --out as a new batch named BATCH "
        "(its texts are kept and checked against; a writer id may not be in both)",
    )
    ap.add_argument("--relabel", metavar="POLICY", help="apply a policy ruling to records already in --out")
    ap.add_argument("--rulings", type=Path, help="with --relabel: the policy re-readings")
    ap.add_argument("--checks", type=Path, help="with --relabel: the second readers' verdicts on them")
    args = ap.parse_args()

    rb = load_rulebook()
    options = acting_sets(rb)
    lists = {m.id: m.list for m in rb.matters}
    if args.relabel:
        if args.rulings is None or args.checks is None or args.raw or args.reviews:
            ap.error("--relabel takes --rulings and --checks (and no --raw/--reviews)")
        return _relabel(args, options, lists, rb.jurisdiction.township)
    if args.raw is None or args.reviews is None:
        ap.error("--raw and --reviews are required (or --relabel POLICY with --rulings and --checks)")
    verdicts, rulings = _read_verdicts(args.reviews, args.referees)
    sidecar = args.report.with_suffix(".json")
    batches: list[dict[str, Any]] = []
    base: dict[str, list[dict[str, Any]]] = {}
    if args.append:
        base = {f.stem: _jsonl(f) for f in sorted(args.out.glob("*.jsonl"))}
        if not sidecar.exists():
            raise SystemExit(f"--append: {sidecar} (the counts of the earlier batches) is missing")
        batches = json.loads(sidecar.read_text(encoding="utf-8"))["batches"]
        again = sorted({f.stem for f in args.raw.glob("*.jsonl")} & set(base))
        if again:
            raise SystemExit(
                f"--append: writer(s) {', '.join(again)} are already in {args.out}; a batch adds new writers "
                "only (rebuild without --append from all raw files to change an earlier writer)"
            )

    count: collections.Counter[str] = collections.Counter()
    per_writer: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    kept: list[tuple[str, dict[str, Any]]] = []
    for f in sorted(args.raw.glob("*.jsonl")):
        for r in _jsonl(f):
            case = _settle(r, f.stem, verdicts, rulings, count, per_writer[f.stem], args.unreviewed)
            if case is not None:
                label = _finish(case, options, lists, rb.jurisdiction.township, count)
                if label is not None:
                    kept.append((f.stem, label))

    drop = _left_out(kept, [c["text"] for rows in base.values() for c in rows], count)
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.append:
        for old in args.out.glob("*.jsonl"):
            old.unlink()
    by_writer: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for i, (w, c) in enumerate(kept):
        if i not in drop:
            by_writer[w].append(c)
    for w, rows in sorted(by_writer.items()):
        with (args.out / f"{w}.jsonl").open("w", encoding="utf-8") as fh:
            for c in rows:
                fh.write(json.dumps(c, ensure_ascii=False, sort_keys=False) + "\n")
    count["in_corpus"] = sum(len(rows) for rows in by_writer.values())
    writers = {w: {**c, "in_corpus": len(by_writer.get(w, []))} for w, c in sorted(per_writer.items())}
    batches.append({"name": args.append or "corpus", "count": dict(count), "writers": writers})
    _record(args.report, batches, count)
    return 0


def _record(report: Path, batches: list[dict[str, Any]], count: collections.Counter[str]) -> None:
    """Keep the batches' counts in the sidecar ``REVIEW.json``, rewrite the report, print the counts."""
    report.with_suffix(".json").write_text(
        json.dumps({"batches": batches}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    _report(report, batches)
    print(json.dumps(dict(count), ensure_ascii=False))


def _relabel(
    args: argparse.Namespace,
    options: dict[str, list[frozenset[str]]],
    lists: dict[str, ListKind],
    town: str,
) -> int:
    """Apply the policy ruling ``args.relabel`` to records already in ``args.out`` (see the docstring)."""
    sidecar = args.report.with_suffix(".json")
    if not sidecar.exists():
        raise SystemExit(f"--relabel: {sidecar} (the counts of the batches so far) is missing")
    rulings = _rulings(args.rulings, ("keep", "own"))
    checks = {str(r.get("id")): r for f in sorted(args.checks.glob("*.jsonl")) for r in _jsonl(f)}
    files = {f.stem: _jsonl(f) for f in sorted(args.out.glob("*.jsonl"))}
    known = {str(c["id"]) for rows in files.values() for c in rows}
    unknown = sorted(set(rulings) - known)
    if unknown:
        raise SystemExit(
            f"--rulings: {len(unknown)} id(s) are not in {args.out}, e.g. {', '.join(unknown[:5])}; "
            "rule only on records of the corpus"
        )
    tag = f"policy:{args.relabel}"
    count: collections.Counter[str] = collections.Counter()
    for rows in files.values():
        for i, c in enumerate(rows):
            ruling = rulings.get(str(c["id"]))
            if ruling is None:
                continue
            count["policy_reread"] += 1
            if ruling["decision"] == "keep":
                count["policy_keep"] += 1
                continue
            verdict = (checks.get(str(c["id"])) or {}).get("verdict")
            if verdict != "agree":
                count["policy_disputed" if verdict == "disagree" else "policy_unchecked"] += 1
                continue
            case = {
                **c,
                "accept": ruling.get("accept") or [],
                "clarify": ruling.get("clarify"),
                "note": str(ruling.get("reason") or ""),
                "tags": [t for t in c.get("tags") or [] if t != "out_of_scope" and not t.startswith("oos:")]
                + [tag],
                "how": tag,
            }
            label = _finish(case, options, lists, town, count)
            if label is None or label["accept"] == c["accept"]:
                count["policy_unchanged"] += 1
                continue
            rows[i] = label
            count["policy_relabeled"] += 1
    for w, rows in files.items():
        with (args.out / f"{w}.jsonl").open("w", encoding="utf-8") as fh:
            for c in rows:
                fh.write(json.dumps(c, ensure_ascii=False, sort_keys=False) + "\n")
    batches = json.loads(sidecar.read_text(encoding="utf-8"))["batches"]
    batches.append({"name": args.relabel, "policy": True, "count": dict(count), "writers": {}})
    _record(args.report, batches, count)
    return 0


def _read_verdicts(
    reviews: Path, referees: Path | None
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The second readers' verdicts and the referees' rulings by record id (a later file wins)."""
    verdicts: dict[str, dict[str, Any]] = {}
    for f in sorted(reviews.glob("*.jsonl")):
        for r in _jsonl(f):
            verdicts[str(r.get("id"))] = r
    return verdicts, _rulings(referees, DECISIONS) if referees else {}


def _rulings(folder: Path, decisions: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """The rulings of ``folder/*.jsonl`` by record id (a later file wins); a decision outside
    ``decisions`` stops the build with the file, the line and the id."""
    rulings: dict[str, dict[str, Any]] = {}
    for f in sorted(folder.glob("*.jsonl")):
        for n, r in enumerate(_jsonl(f), 1):
            if r.get("decision") not in decisions:
                raise SystemExit(
                    f"{f}: record {n} (id {r.get('id')!r}): decision {r.get('decision')!r} is "
                    f"not one of {', '.join(decisions)}; keep only such rulings in {folder}"
                )
            rulings[str(r.get("id"))] = r
    return rulings


def _settle(
    r: dict[str, Any],
    writer: str,
    verdicts: dict[str, dict[str, Any]],
    rulings: dict[str, dict[str, Any]],
    count: collections.Counter[str],
    pw: collections.Counter[str],
    unreviewed: str,
) -> dict[str, Any] | None:
    """The label a raw record keeps after its review (and ruling), or None when it leaves."""
    rid = str(r.get("id"))
    count["written"] += 1
    pw["written"] += 1
    v = verdicts.get(rid)
    label = {"accept": r.get("accept") or [], "clarify": r.get("clarify"), "how": "agree"}
    if v is None:
        pw["unreviewed"] += 1
        count["unreviewed"] += 1
        return None if unreviewed == "drop" else {**r, **label, "how": "unreviewed", "writer": writer}
    pw["reviewed"] += 1
    pw[v.get("verdict", "?")] += 1
    if v.get("verdict") == "bad_text":
        count["bad_text"] += 1
        return None
    if v.get("verdict") == "disagree":
        ruling = rulings.get(rid)
        if ruling is None:
            count["disagree_unsettled"] += 1
            return None
        decision = ruling.get("decision")
        pw[f"referee_{decision}"] += 1
        count[f"referee_{decision}"] += 1
        if decision == "drop":
            return None
        if decision == "reader":
            label = {"accept": v.get("accept") or [], "clarify": v.get("clarify")}
        elif decision == "own":
            label = {"accept": ruling.get("accept") or [], "clarify": ruling.get("clarify")}
        label["how"] = f"referee:{decision}"
    elif rid in rulings and rulings[rid].get("decision") in ("own", "drop"):
        # a policy ruling of the lead on a label both readers agreed on (the batch brief said
        # otherwise than the lists): the referee applied the policy and gave the label it implies
        ruling = rulings[rid]
        count[f"policy_{ruling['decision']}"] += 1
        pw[f"policy_{ruling['decision']}"] += 1
        if ruling["decision"] == "drop":
            return None
        label = {"accept": ruling.get("accept") or [], "clarify": ruling.get("clarify"), "how": "policy:own"}
    return {**r, **label, "writer": writer}


def _finish(
    case: dict[str, Any],
    options: dict[str, list[frozenset[str]]],
    lists: dict[str, ListKind],
    town: str,
    count: collections.Counter[str],
) -> dict[str, Any] | None:
    """The corpus record of a settled label: acting options normalised, the list's fields filled in."""
    accept: list[dict[str, Any]] = []
    index_map: dict[int, int] = {}
    for i, route in enumerate(list(case["accept"] or [])):
        routes = _normalise(route, options)
        if not routes:
            count["route_dropped"] += 1
            continue
        index_map[i] = len(accept)
        for nr in routes:
            if nr not in accept:
                accept.append(nr)
    if case["accept"] and not accept:
        count["no_valid_route"] += 1
        return None
    for nr in accept:
        kind = lists[nr["matter"]]
        nr["cooperating"] = [town] if kind is ListKind.cooperative else []
        nr["reclaimed"] = kind is ListKind.reclaimed
    clarify = case["clarify"]
    if isinstance(clarify, dict) and isinstance(clarify.get("options"), dict):
        opts = {k: index_map[v] for k, v in clarify["options"].items() if v in index_map}
        clarify = {"fact": clarify.get("fact"), "options": opts} if len(set(opts.values())) > 1 else None
    else:
        clarify = None
    tags = [str(t) for t in case.get("tags") or []]
    if not accept and "out_of_scope" not in tags:
        tags.append("out_of_scope")
    return {
        "id": str(case.get("id")),
        "text": case["text"],
        "accept": accept,
        "clarify": clarify,
        "tags": tags,
        "note": str(case.get("note") or ""),
        "source": "team",
        "style": case.get("style") or "",
        "writer": case["writer"],
        "review": case["how"],
    }


def _left_out(
    kept: list[tuple[str, dict[str, Any]]], base: list[str], count: collections.Counter[str]
) -> set[int]:
    """Indices of ``kept`` that repeat or nearly copy an earlier text (of ``base`` or of ``kept``), or copy
    a dev, eval/ or real-message text."""
    texts = [c["text"] for _, c in kept]
    drop: set[int] = set()
    seen = {squash(t) for t in base}
    for i, t in enumerate(texts):
        k = squash(t)
        if k in seen:
            drop.add(i)
            count["duplicate"] += 1
        seen.add(k)
    for nd in near_duplicates(texts):
        if nd.later not in drop:
            drop.add(nd.later)
            count["near_duplicate"] += 1
    for i in sorted(near_copies_of(texts, base) - drop) if base else ():
        drop.add(i)
        count["near_duplicate"] += 1
    for i in sorted(near_copies_of(texts, _measured_texts()) - drop):
        drop.add(i)
        count["near_copy_of_dev_or_eval"] += 1
    copies = sharing_spans(texts, _measured_texts()) | sharing_spans(texts, _real_messages(), REAL_COPY_SPAN)
    for i in sorted(copies - drop):
        drop.add(i)
        count["copies_dev_eval_or_realdata"] += 1
    return drop


COLUMNS = (
    "written",
    "reviewed",
    "agree",
    "disagree",
    "bad_text",
    "referee_writer",
    "referee_reader",
    "referee_own",
    "referee_drop",
    "in_corpus",
)


def _policy_line(name: str, c: collections.Counter[str]) -> str:
    """The report's line for a policy ruling on records already in the corpus."""
    return (
        f"- policy ruling {name!r} on records already in the corpus: {c['policy_reread']} re-read, "
        f"{c['policy_keep']} kept their label, {c['policy_relabeled']} relabeled (second reader agreed), "
        f"{c['policy_disputed']} disputed by the second reader and {c['policy_unchecked']} unchecked "
        "(both left as they were)"
    )


def _report(path: Path, batches: list[dict[str, Any]]) -> None:
    """Write the review report: totals over all batches, then one row per writer."""
    count: collections.Counter[str] = collections.Counter()
    writers: dict[str, dict[str, int]] = {}
    for b in batches:
        count.update(b["count"])
        writers.update(b["writers"])
    reviewed = sum(c.get("reviewed", 0) for c in writers.values())
    disagree = sum(c.get("disagree", 0) for c in writers.values())
    bad = sum(c.get("bad_text", 0) for c in writers.values())
    settled = sum(v for k, v in count.items() if k.startswith("referee"))
    writing = [b for b in batches if not b.get("policy")]
    lines = [
        "# How the corpus labels were checked",
        "",
        "Written by `scripts/build_corpus.py` (see its docstring). Each record was read by a second reader",
        "against the matter's full text; each disagreement went to a referee (a third reader).",
        "",
        "- batches: " + "; ".join(f"{b['name']} ({', '.join(sorted(b['writers']))})" for b in writing),
        f"- records written: {count['written']}; reviewed: {reviewed}; in the corpus: {count['in_corpus']}",
        f"- second reader disagreed: {disagree} ({disagree / max(1, reviewed):.1%} of reviewed); "
        f"bad text: {bad} ({bad / max(1, reviewed):.1%})",
        f"- disagreements settled by the referee: {settled} (the table gives writer / reader / own label / "
        f"drop); unsettled and left out: {count['disagree_unsettled']}; agreed labels changed by a "
        f"policy ruling: {count['policy_own']}, left out by one: {count['policy_drop']}",
        f"- left out as duplicate {count['duplicate']}, near duplicate {count['near_duplicate']}, "
        f"near copy of dev/eval {count['near_copy_of_dev_or_eval']}, "
        f"sharing a {COPY_SPAN}-character run with dev/eval or a {REAL_COPY_SPAN}-character run with a "
        f"real message {count['copies_dev_eval_or_realdata']}, unreviewed {count['unreviewed']}",
        *(_policy_line(b["name"], collections.Counter(b["count"])) for b in batches if b.get("policy")),
        "",
        "| writer | written | reviewed | agree | disagree | bad text "
        "| referee: writer | reader | own | drop | in corpus |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for w, c in sorted(writers.items()):
        lines.append(f"| {w} | " + " | ".join(str(c.get(k, 0)) for k in COLUMNS) + " |")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
