"""Sphinx configuration for the leadcore documentation (furo theme, MyST Markdown).

The workflow diagrams and the table of re-exported names are generated from
the code at every build (into ``_generated/``), so they cannot drift from it.
The build needs no network: intersphinx is off, and the Mermaid diagrams are
drawn by the reader's browser with the Mermaid bundled in ``_static/mermaid``,
so the built pages need none either.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import itertools
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"

# Document the checkout being built, even where an older leadcore is installed.
sys.path.insert(0, str(ROOT / "src"))

from sphinx.application import Sphinx  # noqa: E402

import leadcore  # noqa: E402
from leadcore.workflow import load_workflow  # noqa: E402

# -- project ---------------------------------------------------------------------

project = "leadcore"
author = "The leadcore developers"
copyright = "The leadcore developers, MIT licence"
release = leadcore.__version__
version = ".".join(release.split(".")[:2])
language = "en"

# -- extensions --------------------------------------------------------------------


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # the parent package is missing
        return False


# With sphinxcontrib-mermaid the diagrams are drawn; without it, their source is shown.
HAS_MERMAID = _installed("sphinxcontrib.mermaid")

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
if HAS_MERMAID:
    extensions.append("sphinxcontrib.mermaid")

# Mermaid is served from _static/mermaid (vendored, see its README.txt), never a CDN,
# so the built pages draw their diagrams offline.
mermaid_use_local = "mermaid/mermaid.esm.min.mjs"
mermaid_version = ""
mermaid_include_elk = False

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
root_doc = "index"
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store"]

myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3

# The docstrings are plain reStructuredText, so no napoleon; types stay in the
# signatures, without their module paths.
autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_class_signature = "mixed"
add_module_names = False
python_use_unqualified_type_names = True

nitpicky = False

# -- HTML --------------------------------------------------------------------------

html_theme = "furo"
html_title = f"leadcore {release}"
html_static_path = ["_static"]
html_show_sourcelink = False
pygments_style = "friendly"
pygments_dark_style = "monokai"

# -- generated pages ---------------------------------------------------------------

# The public modules whose members api.md documents; a name re-exported by
# ``leadcore`` links to the first of these that also exports it.
API_MODULES = (
    "leadcore.workflow",
    "leadcore.services.workflow",
    "leadcore.tenancy",
    "leadcore.services.users",
    "leadcore.services.partners",
    "leadcore.leads",
    "leadcore.services.leads",
    "leadcore.services.reports",
    "leadcore.services.forwarding",
    "leadcore.dispatch",
    "leadcore.services.dispatch",
    "leadcore.calendar",
    "leadcore.services.calendar",
    "leadcore.events",
    "leadcore.storage.protocols",
    "leadcore.storage.memory",
    "leadcore.storage.sql",
    "leadcore.errors",
    "leadcore.clock",
    "leadcore.ids",
    "leadcore.serde",
    "leadcore.testing",
    "leadcore.testing.strategies",
    "leadcore.testing.conformance",
    "leadcore.testing.pytest_plugin",
)

# Names that api.md documents under ``leadcore`` itself (the facade).
FACADE = ("Leadcore", "Session")

SAMPLES = {
    "sales": ROOT / "src" / "leadcore" / "examples" / "sales.toml",
    "qualification": ROOT / "src" / "leadcore" / "examples" / "qualification.he.toml",
    "opportunities": ROOT / "src" / "leadcore" / "examples" / "opportunities.toml",
}


def _write(path: Path, text: str) -> None:
    # Rewriting an unchanged file would make Sphinx rebuild every page that includes it.
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def _diagram_page(mermaid: str) -> str:
    if HAS_MERMAID:
        return "```{mermaid}\n" + mermaid + "```\n"
    # Without the extension the reader still gets the diagram's source.
    return "```text\n" + mermaid + "```\n"


_RST_ROLE = re.compile(r":(?:py:)?(\w+):`([^`]+)`")
_RST_LITERAL = re.compile(r"``([^`]+)``")


def _summary(obj: object) -> str:
    """The first paragraph of a docstring, in MyST Markdown, for one table cell."""
    doc = inspect.getdoc(obj) or ""
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    first = _RST_ROLE.sub(r"{py:\1}`\2`", first)
    first = _RST_LITERAL.sub(r"`\1`", first)
    return first.replace("|", "\\|")


def _public_module(name: str) -> str:
    """``leadcore.workflow._model`` -> ``leadcore.workflow``: where users import it from."""
    parts = name.split(".")
    return ".".join(itertools.takewhile(lambda p: not p.startswith("_"), parts))


def _reexports_page() -> str:
    modules = [importlib.import_module(name) for name in API_MODULES]
    rows = ["| Name | Module | Summary |", "| --- | --- | --- |"]
    for name in leadcore.__all__:
        if name.startswith("_"):
            continue
        obj = getattr(leadcore, name)
        defined_in = _public_module(getattr(obj, "__module__", "leadcore"))
        if name in FACADE:
            home: str | None = "leadcore"
        elif defined_in in API_MODULES:
            home = defined_in
        else:
            home = next((m.__name__ for m in modules if name in getattr(m, "__all__", ())), None)
        if home is None:
            # Parts of the library that this reference does not cover yet.
            rows.append(f"| `{name}` | `{defined_in}` | {_summary(obj)} |")
        else:
            rows.append(f"| {{py:obj}}`~{home}.{name}` | `{home}` | {_summary(obj)} |")
    return "\n".join(rows) + "\n"


def write_generated() -> None:
    """Write the diagrams and the re-export table that the pages include."""
    GENERATED.mkdir(exist_ok=True)
    # The folder is rebuilt from the code at every build and never committed.
    _write(GENERATED / ".gitignore", "*\n")
    for name, path in SAMPLES.items():
        mermaid = load_workflow(path).to_mermaid()
        _write(GENERATED / f"{name}.mmd", mermaid)
        _write(GENERATED / f"{name}-diagram.md", _diagram_page(mermaid))
    _write(GENERATED / "reexports.md", _reexports_page())


write_generated()


def _skip_event_type(
    app: object, what: str, name: str, obj: object, skip: bool, options: object
) -> bool | None:
    # Each event class's ``type`` is a ClassVar string, listed with its class on the events
    # page; documenting it as an attribute of 49 classes would also make every ``type[...]``
    # in a signature an ambiguous cross-reference.
    if what == "class" and name == "type" and isinstance(obj, str):
        return True
    return None


def setup(app: Sphinx) -> None:
    app.connect("autodoc-skip-member", _skip_event_type)
