"""The package's public surface: every name in ``__all__`` importable, imports kept lazy."""

from __future__ import annotations

import subprocess
import sys

import dutyroute


def test_every_public_name_is_importable_and_listed_by_dir():
    for name in dutyroute.__all__:
        assert getattr(dutyroute, name) is not None
    assert set(dutyroute.__all__) <= set(dir(dutyroute))


def test_unknown_attribute_is_an_attribute_error():
    try:
        dutyroute.NoSuchThing  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_routing_does_not_import_the_drawing_or_cli_libraries():
    """Routing reads matters and bodies through the graph (networkx), but pictures (matplotlib),
    the CLI (typer, rich) and training (scikit-learn) load only when used."""
    code = (
        "import sys, dutyroute\n"
        "from dutyroute import Router, load_rulebook\n"
        "Router(load_rulebook()).route('有人在地里烧秸秆')\n"
        "Router.default().route('有人在地里烧秸秆')\n"
        "heavy = ('matplotlib', 'typer', 'rich', 'sklearn')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
