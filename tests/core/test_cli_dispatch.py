"""Dispatch: every subcommand carries its function (argparse's set_defaults), and bad input stays exit 2."""

import pytest

from aegui.cli import main
from aegui.cli.parser import build_parser

COMMANDS = {("run",): "cmd_run", ("presets",): "cmd_presets", ("grid",): "cmd_grid", ("runs",): "cmd_runs",
            ("show", "1"): "cmd_show", ("data", "x.csv"): "cmd_data", ("figure", "x.png"): "cmd_figure",
            ("export", "1", "--out", "x.png"): "cmd_export"}


@pytest.mark.parametrize("argv,name", COMMANDS.items())
def test_each_subcommand_dispatches_to_its_function(argv, name):
    args = build_parser().parse_args(list(argv))
    assert args.func.__name__ == name


def test_no_subcommand_has_no_function_and_opens_the_window():
    assert not hasattr(build_parser().parse_args([]), "func")


def test_presets_runs_through_its_function(capsys):
    assert main(["presets"]) == 0
    assert "sigmoid-bce-uniform" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["nope"], ["show", "x"], ["runs", "--bogus"], ["export"]])
def test_bad_input_exits_2_with_one_line(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("aegui") and "Traceback" not in err and len(err.strip().splitlines()) == 1
