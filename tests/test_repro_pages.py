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


def test_cached_cells_resume_and_the_footer_says_what_was_reused(tmp_path):
    calls = []

    def fn(ctx):
        rows = [ctx.cached(f"cell{i}", lambda i=i: calls.append(i) or {"value": i * i}) for i in range(3)]
        return repro.ReproResult("reproduced", "s", f"values {[r['value'] for r in rows]}")

    repro.names()
    repro.recipe("test-cells", title="T", claim="C")(fn)
    doc = tmp_path / "page.md"
    try:
        first = repro.run("test-cells", out_dir=tmp_path / "out", doc=doc)
        assert calls == [0, 1, 2] and "read from an earlier call's cache" not in doc.read_text()
        (tmp_path / "out" / "test-cells" / "runs" / "cell1.json").write_text("{broken")  # a damaged cell
        again = repro.run("test-cells", out_dir=tmp_path / "out", doc=doc)
    finally:
        repro.RECIPES.unregister("test-cells")
    assert calls == [0, 1, 2, 1]  # only the damaged cell is computed again
    assert again.markdown == first.markdown == "values [0, 1, 4]"  # the timing key never leaks into results
    assert again.metrics["reused_cells"] == 2
    assert "2 cells were read from an earlier call's cache" in doc.read_text()
