"""The README matches the code: its set-up commands are the ones CI runs, its flag list is the schema's."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command():
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line.startswith("python3 -m venv")]
    assert len(ci) == 1
    assert ci[0] in (ROOT / "README.md").read_text()


def test_readme_has_exactly_two_setup_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("## Use", 1)[0]
    assert section.count("python3 -m venv .venv") == 2


def test_readme_flag_list_is_the_schemas():
    import re

    from aegui.core.config.schema import FIELDS, flag_text
    text = re.sub(r"\s+", " ", (ROOT / "README.md").read_text())  # the list wraps over lines
    listed = text.split("flags override either, one per config field: `", 1)[1].split("`", 1)[0]
    assert listed == " ".join(flag_text(f) for f in FIELDS)


def test_readmes_why_not_zero_example_is_what_the_preset_says(capsys, tmp_path, monkeypatch):
    import json
    import re

    from aegui.cli import main
    monkeypatch.setenv("AEGUI_DATA_DIR", str(tmp_path))
    quoted = re.search(r"> (Of 0\.5054 nats.*?optimizer\.)", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert quoted, "README lost its example sentence"
    sentence = " ".join(line.lstrip("> ").strip() for line in quoted.group(1).splitlines())
    assert main(["run", "--preset", "sigmoid-bce-uniform", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["why_not_zero"] == sentence
