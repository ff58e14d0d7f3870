"""The import contract.

import-linter holds the layers, with its contracts in pyproject.toml: core imports no Qt, gui or cli; gui's
packages import only downward (plots < figures < grid < the panes < window < app); no cycles among sibling
modules, counting imports inside functions. What it cannot say is read here from the source with ast
(nothing is imported): the CLI modules import gui only inside functions, and only to save images or open
the window; and no cycle anywhere among aegui's modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI_MAY_USE = {"aegui.gui.figures.export", "aegui.gui.grid.figure",  # saving images
               "aegui.gui.figures.atomic", "aegui.gui.figures.render",  # checking --out, --width, --dpi first
               "aegui.gui.figures.headless",                           # reading a figure's PNG text
               "aegui.gui.app"}                                        # opening the window
QT = ("PySide6", "pyqtgraph", "shiboken6")


def is_cli(name: str) -> bool:
    """The command line's modules: the aegui.cli package and `python -m aegui`."""
    return name == "aegui.__main__" or name == "aegui.cli" or name.startswith("aegui.cli.")


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every aegui module's dotted name and file."""
    out = {}
    for path in sorted((root / "aegui").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def imports(name: str, path: Path) -> list[tuple[str, bool]]:
    """(imported module, at module level?) for each import in the file; relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    top = {id(n) for n in tree.body}
    for node in tree.body:  # a module-level try/if still imports at module level
        if isinstance(node, (ast.If, ast.Try)):
            top.update(id(n) for n in ast.walk(node))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            found.append((base, id(node) in top))
            found += [(f"{base}.{alias.name}", id(node) in top) for alias in node.names]  # from pkg import module
    return found


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """aegui module → the aegui modules it imports (anywhere in the file)."""
    files = module_files(root)
    return {name: {m for m, _ in imports(name, path) if m in files and m != name and not name.startswith(m + ".")}
            for name, path in files.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_import_linter_contracts_in_pyproject_hold():
    from importlinter.cli import lint_imports
    assert lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def test_cli_imports_gui_only_lazily_to_save_images_or_open_the_window():
    files = module_files()
    bad = []
    for name in sorted(filter(is_cli, files)):
        for m, top in imports(name, files[name]):
            if m.split(".")[0] in QT:
                bad.append(f"{name} imports {m}")
            elif m.startswith("aegui.gui") and m in files and (top or m not in CLI_MAY_USE):
                bad.append(f"{name} imports {m}" + (" at module level" if top else ""))
    assert bad == []


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_the_checks_catch_what_they_forbid(tmp_path):
    """The reader itself: a cycle through a lazy import and a core module importing Qt are both seen."""
    pkg = tmp_path / "aegui"
    (pkg / "core").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "core" / "__init__.py").write_text("")
    (pkg / "core" / "a.py").write_text("from . import b\nimport PySide6.QtCore\n")
    (pkg / "core" / "b.py").write_text("def f():\n    from .a import x\n")
    assert cycles(graph(tmp_path)) == [["aegui.core.a", "aegui.core.b"]]
    assert ("PySide6.QtCore", True) in imports("aegui.core.a", pkg / "core" / "a.py")
    assert ("aegui.core.a", False) in imports("aegui.core.b", pkg / "core" / "b.py")


def test_ruff_finds_nothing():
    """The rules in pyproject.toml's [tool.ruff] (pyflakes, pycodestyle errors, bugbear, pyupgrade) hold."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(ROOT)], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stdout[-3000:]


def test_mypy_finds_nothing(tmp_path):
    """`mypy aegui` is clean with pyproject.toml's [tool.mypy] (the config classes are typed dataclasses, so a
    misspelt field is an error); its cache goes to a temporary folder."""
    import subprocess
    import sys
    out = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy"), "aegui"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert out.returncode == 0, out.stdout[-3000:]


def test_the_windows_modules_import_no_torch():
    """torch loads only in a training process or the background warm-up (~2.4 s): never on the window's path,
    not even through the recorder or the worker, which only carry the engine's records."""
    import os
    import subprocess
    import sys
    code = ("import sys; import aegui.gui.app, aegui.gui.window.main_window, aegui.gui.run.worker, aegui.core.store.recorder, "
            "aegui.core.run.stream, aegui.core.engine.records, aegui.cli; "
            "assert 'torch' not in sys.modules, [m for m in sys.modules if m.startswith('torch')][:3]")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
