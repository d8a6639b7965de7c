"""The report in a real browser: headless Chromium loads the page from disk, every image decodes
(naturalWidth > 0) and the console shows no error. Skipped, saying how to install it, without Chromium."""

from __future__ import annotations

import pytest

from _chromium import INSTALL_HINT, chromium, open_page
from _report_data import real_runs, synthetic_store
from dynlearn.bench.report import load_run, resolve_runs, write_runs_report

pytestmark = [
    pytest.mark.slow,  # starts a browser twice and runs a small suite: ~30 s on a loaded 2-core machine
    pytest.mark.skipif(chromium() is None, reason=INSTALL_HINT),
]


def check(page) -> dict:
    seen = open_page(page)
    assert seen["images"], "the page shows no image"
    broken = [i for i in seen["images"] if not (i["complete"] and i["width"] > 0 and i["height"] > 0)]
    assert not broken, f"images that did not load: {broken}"
    errors = [c for c in seen["console"] if c[0] in ("error", "exception", "assert")]
    assert not errors, f"console errors: {errors}"
    return seen


def test_real_report_loads_in_chromium(tmp_path):
    out = tmp_path / "runs"
    keys = real_runs(out)
    page = write_runs_report(resolve_runs([keys["main"], "short"], out), tmp_path / "moved" / "report.html")
    seen = check(page)
    alts = {i["alt"] for i in seen["images"]}
    assert {"sMAPE heatmap", "accuracy against training length, sweep short", "forecasts on Lorenz"} <= alts


def test_135_system_report_loads_in_chromium(tmp_path):
    key, _ = synthetic_store(tmp_path)
    page = write_runs_report([load_run(tmp_path / "results.sqlite", key)], tmp_path / "big.html")
    seen = check(page)
    heat = next(i for i in seen["images"] if i["alt"] == "sMAPE heatmap")
    assert heat["height"] > 135 * 14


def test_a_broken_image_is_caught(tmp_path):
    """The check itself: a page with an undecodable image and a script error fails it."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!doctype html><html><head><link rel="icon" href="data:,"></head><body>'
        '<img src="data:image/png;base64,AAAA" alt="broken"><script>undefinedCall()</script></body></html>'
    )
    seen = open_page(page)
    assert seen["images"] == [{"alt": "broken", "complete": True, "width": 0, "height": 0}]
    assert any(kind == "exception" for kind, _ in seen["console"])
