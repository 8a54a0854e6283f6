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
