"""A reproduction page and the figures it links (in docs/figures) are written together."""

from __future__ import annotations

from dynlearn import repro


def test_figures_are_written_with_the_page(tmp_path):
    def fn(ctx):
        fig = ctx.figure_path("curve.png")
        fig.write_bytes(b"\x89PNG new")
        return repro.ReproResult("reproduced", "s", "![curve](curve.png)", figures=[fig])

    repro.names()  # load the real recipes first
    repro.recipe("test-figures", title="T", claim="C")(fn)
    docs = tmp_path / "docs" / "repro"
    figures = tmp_path / "docs" / "figures"
    figures.mkdir(parents=True)
    docs.mkdir()
    (figures / "curve.png").write_bytes(b"\x89PNG stale")
    try:
        repro.run("test-figures", out_dir=tmp_path / "out", doc=docs / "test-figures.md")
    finally:
        repro.RECIPES.unregister("test-figures")
    assert (figures / "curve.png").read_bytes() == b"\x89PNG new"  # the page never links a stale picture
    assert "![curve](../figures/curve.png)" in (docs / "test-figures.md").read_text()
