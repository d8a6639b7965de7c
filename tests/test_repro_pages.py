"""A reproduction page and the figures it links are written together."""

from __future__ import annotations

from dynlearn import repro


def test_figures_are_copied_beside_the_page(tmp_path):
    def fn(ctx):
        fig = ctx.figure_path("curve.png")
        fig.write_bytes(b"\x89PNG new")
        return repro.ReproResult("reproduced", "s", "![curve](curve.png)", figures=[fig])

    repro.names()  # load the real recipes first
    repro.recipe("test-figures", title="T", claim="C")(fn)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "curve.png").write_bytes(b"\x89PNG stale")
    try:
        repro.run("test-figures", out_dir=tmp_path / "out", doc=docs / "test-figures.md")
    finally:
        repro.RECIPES.unregister("test-figures")
    assert (docs / "curve.png").read_bytes() == b"\x89PNG new"  # the page never links a stale picture
    assert "![curve](curve.png)" in (docs / "test-figures.md").read_text()


def test_a_page_in_docs_repro_links_its_figures_in_docs_figures(tmp_path):
    def fn(ctx):
        fig = ctx.figure_path("curve.png")
        fig.write_bytes(b"\x89PNG new")
        return repro.ReproResult("reproduced", "s", "![curve](curve.png)", figures=[fig])

    repro.names()
    repro.recipe("test-figures-dir", title="T", claim="C")(fn)
    pages = tmp_path / "docs" / "repro"
    pages.mkdir(parents=True)
    try:
        repro.run("test-figures-dir", out_dir=tmp_path / "out", doc=pages / "test-figures-dir.md")
    finally:
        repro.RECIPES.unregister("test-figures-dir")
    assert (tmp_path / "docs" / "figures" / "curve.png").read_bytes() == b"\x89PNG new"
    assert not (pages / "curve.png").exists()  # docs/repro holds pages only
    assert "![curve](../figures/curve.png)" in (pages / "test-figures-dir.md").read_text()
