"""The built documentation loads no script from another site: it renders offline.

Builds the HTML (needs the ``docs`` dependency group; skipped, and says so,
without it), or checks an existing build named by ``LEADCORE_DOCS_HTML``
(``nox -s docs`` passes its own). Every ``<script src>`` and every
``import ... from`` in an inline module must be a relative path, and the
Mermaid the pages import must be the one shipped in ``_static/mermaid``.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parent.parent / "docs"
_SRC = re.compile(r"<script\b[^>]*\bsrc=\"(?P<url>[^\"]+)\"", re.IGNORECASE)
_IMPORT = re.compile(r"\bimport\b[^;\"']*?\bfrom\s+[\"'](?P<url>[^\"']+)[\"']")
_EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)


@pytest.fixture(scope="module")
def html() -> Path:
    given = os.environ.get("LEADCORE_DOCS_HTML")
    if given:
        return Path(given)
    for module in ("sphinx", "furo", "myst_parser", "sphinxcontrib.mermaid"):
        pytest.importorskip(module, reason=f"building the docs needs {module} (nox -s docs)")
    from sphinx.cmd.build import build_main

    out = Path(os.environ.get("TMPDIR", "/tmp")) / f"leadcore-docs-{os.getpid()}"
    with warnings.catch_warnings():
        # Sphinx and its extensions warn each other of their own API changes (Sphinx 9
        # deprecates ``BuildEnvironment.app``, which extensions still read): not ours
        # to fail on. ``nox -s docs`` builds with ``-W`` for the warnings about the docs.
        warnings.simplefilter("default", DeprecationWarning)
        warnings.simplefilter("default", PendingDeprecationWarning)
        status = build_main(["-q", "-b", "html", "-d", str(out / "doctrees"), str(DOCS), str(out)])
    assert status == 0
    return out


def _scripts(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return [m["url"] for m in _SRC.finditer(text)] + [m["url"] for m in _IMPORT.finditer(text)]


def test_no_page_loads_a_script_from_another_site(html: Path) -> None:
    pages = sorted(html.rglob("*.html"))
    assert pages
    external = {
        f"{page.relative_to(html)}: {url}"
        for page in pages
        for url in _scripts(page)
        if _EXTERNAL.match(url)
    }
    assert not external


def test_the_diagrams_import_the_bundled_mermaid(html: Path) -> None:
    pages = [p for p in html.rglob("*.html") if 'class="mermaid"' in p.read_text("utf-8")]
    assert pages  # the workflow pages draw diagrams
    for page in pages:
        (mermaid,) = [u for u in _scripts(page) if "mermaid" in u]
        assert (page.parent / mermaid).resolve().is_file()
        assert mermaid.endswith("_static/mermaid/mermaid.esm.min.mjs")
