"""Every ``dutyroute`` command the README shows runs as written and exits 0.

The commands are read from the README's ``bash`` blocks (lines starting ``.venv/bin/dutyroute``),
run in-process from the repository root. Nothing in the repository is written: each ``-o`` target
goes to a temporary folder, and the README's placeholder folder ``my-rules`` is a temporary copy of
``rules/``. Commands that read ``../shared`` are skipped where it is absent (a clean clone).
(The README's Python blocks run in tests/test_cli_rulebook.py.)
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from dutyroute.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
PREFIX = ".venv/bin/dutyroute "


def readme_commands() -> list[str]:
    text = README.read_text(encoding="utf-8")
    out = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.startswith(PREFIX):
                out.append(line)
    return out


def test_the_readme_shows_commands():
    commands = readme_commands()
    assert len(commands) >= 15
    shown = {shlex.split(c, comments=True)[1] for c in commands}
    assert {"route", "batch", "eval", "who", "matter", "graph", "compile", "lint", "export"} <= shown


@pytest.mark.parametrize("command", readme_commands())
def test_readme_command_runs(command, tmp_path, monkeypatch, capsys):
    argv = shlex.split(command, comments=True)[1:]
    if any(a.startswith("../shared") for a in argv) and not (ROOT.parent / "shared").is_dir():
        pytest.skip("../shared is absent")
    # every -o target goes to the temporary folder
    argv = [str(tmp_path / Path(a).name) if i and argv[i - 1] == "-o" else a for i, a in enumerate(argv)]
    if "my-rules" in argv:
        shutil.copytree(ROOT / "rules", tmp_path / "my-rules")
        argv = [str(tmp_path / "my-rules") if a == "my-rules" else a for a in argv]
    monkeypatch.chdir(ROOT)
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, f"{command}\nexit {code}\n{err[-2000:]}"
    assert out or any(p.exists() for p in tmp_path.iterdir()), f"{command} printed nothing and wrote nothing"


def test_the_output_the_readme_shows_for_command_1_is_what_it_prints(monkeypatch, capsys):
    """The decision box under the two fresh-machine commands is command 1's output, row for row
    (confidence included: a retrained recognizer that moves it must update the README)."""
    text = README.read_text(encoding="utf-8")
    install = r"^python -m venv \.venv && \.venv/bin/pip install -e \. && "
    command = re.search(install + r"(\.venv/bin/dutyroute .*)$", text, re.M)
    assert command is not None
    box = re.search(r"Command 1 prints:\n\n```\n(.*?)```", text, re.S)
    assert box is not None
    shown = [ln.strip("│ ").split() for ln in box.group(1).splitlines() if ln.startswith("│")]
    monkeypatch.setenv("COLUMNS", "80")
    assert main(shlex.split(command.group(1))[1:]) in (0, None)
    out = capsys.readouterr().out
    printed = [ln.strip("│ ").split() for ln in out.splitlines() if ln.startswith("│")]
    assert shown and all(row in printed for row in shown), (shown, printed)
