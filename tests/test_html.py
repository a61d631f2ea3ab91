"""Smoke test of the built book (make book) in headless Chromium, offline.

The pages load MathJax from a CDN; here every page is served from a local copy of the
site whose MathJax URL points at the npm package installed by `make mathjax`.
"""

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import nbformat
import pytest

from qbkit.book.registry import CHAPTERS
from qbkit.book.scorecard import VERDICTS
from qbkit.book.site import read_site

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
MATHJAX = ROOT / "_build" / "npm" / "node_modules" / "mathjax" / "es5"
CDN = "https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js"
PAGES = [
    "book/intro.html",
    *(f"notebooks/{c}.html" for c in CHAPTERS),
    "book/errata.html",
    "book/references.html",
    "book/scorecard.html",
    "book/status.html",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not (HTML / "index.html").is_file():
        pytest.fail("no built book at _build/html: run `make book` first (make test does)")
    if not (MATHJAX / "tex-mml-chtml.js").is_file():
        pytest.fail("no local MathJax: run `make mathjax` (make test does)")
    root = tmp_path_factory.mktemp("site")
    shutil.copytree(HTML, root / "html")
    shutil.copytree(MATHJAX, root / "html" / "_mathjax")
    for page in (root / "html").rglob("*.html"):
        text = page.read_text()
        depth = len(page.relative_to(root / "html").parts) - 1
        page.write_text(text.replace(CDN, "../" * depth + "_mathjax/tex-mml-chtml.js"))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        pytest.fail("headless Chromium missing: run `make browser` (make test does)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1300,1000",
    ):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def load(browser, url):
    browser.get(url)
    # wait for MathJax to finish typesetting (startup.promise resolves after the first pass)
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "if (!document.querySelector('script[src*=\"mathjax\"]')) { done(true); return; }"
        "const wait = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)"
        "  ? MathJax.startup.promise.then(() => done(true), () => done(false))"
        "  : setTimeout(wait, 100);"
        "wait();"
    )


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_errors(site, browser, page):
    assert load(browser, f"{site}/{page}")
    text = browser.find_element("tag name", "body").text
    assert "Traceback" not in text
    for selector in (
        ".output.error",
        ".output.traceback",
        ".output.stderr",
        "mjx-merror",
        ".system-message",
    ):
        assert not browser.find_elements("css selector", selector), f"{page}: {selector}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_figures_and_math(site, browser, chapter):
    load(browser, f"{site}/notebooks/{chapter}.html")
    nb = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", 4)
    n_glued = sum(
        len(re.findall(r"\{glue:figure\}", c.source)) for c in nb.cells if c.cell_type == "markdown"
    )
    figures = browser.find_elements("css selector", "figure")
    assert len(figures) == n_glued >= 1
    for fig in figures:
        img = fig.find_element("tag name", "img")
        width = browser.execute_script(
            "return arguments[0].complete && arguments[0].naturalWidth;", img
        )
        assert width and width > 300, img.get_attribute("src")
        caption = fig.find_element("tag name", "figcaption").text
        assert caption.startswith("Fig"), caption  # numbered: "Fig. 1 ..."
    assert len(browser.find_elements("css selector", "mjx-container")) > 50
    scorecard = [t for t in browser.find_elements("tag name", "table") if "verdict" in t.text]
    assert scorecard and "DISAGREES" not in scorecard[0].text


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_launch_and_download_buttons(site, browser, chapter):
    load(browser, f"{site}/notebooks/{chapter}.html")
    hrefs = [a.get_attribute("href") or "" for a in browser.find_elements("tag name", "a")]
    site_cfg = read_site(ROOT)
    binder = [h for h in hrefs if "mybinder.org" in h]
    launch = f"{site_cfg.binderhub}/v2/gh/{site_cfg.owner}/{site_cfg.name}/{site_cfg.branch}"
    assert binder and all(
        h == f"{launch}?urlpath=lab/tree/notebooks/{chapter}.ipynb" for h in binder
    ), binder
    assert site_cfg.url in hrefs
    assert any(h.endswith(f"_sources/notebooks/{chapter}.ipynb") for h in hrefs)


def test_references_page_lists_every_paper(site, browser):
    load(browser, f"{site}/book/references.html")
    text = browser.find_element("tag name", "body").text
    for author in ("Quach", "Pirmoradian", "Salvia", "Leitch", "Martins"):
        assert author in text


def _table(browser, heading):
    section = browser.find_element("xpath", f"//section[h2[contains(., '{heading}')]]")
    rows = section.find_elements("css selector", "table tbody tr")
    return [[td.text for td in row.find_elements("tag name", "td")] for row in rows]


def test_scorecard_page_counts_add_up(site, browser):
    load(browser, f"{site}/book/scorecard.html")
    counts = _table(browser, "Counts")
    claims = _table(browser, "Every claim")
    chapters, book = counts[:-1], counts[-1]
    assert len(chapters) == len(CHAPTERS) and "whole book" in book[0]
    for k, verdict in enumerate(VERDICTS, 1):
        assert int(book[k]) == sum(int(row[k]) for row in chapters), verdict
    for row, name in zip(chapters, CHAPTERS.values()):
        mine = [c for c in claims if c[0] == name.prefix]
        assert int(row[-1]) == len(mine) > 0
        for k, verdict in enumerate(VERDICTS, 1):
            assert int(row[k]) == sum(c[-1] == verdict for c in mine), (name.name, verdict)
    assert int(book[-1]) == len(claims)
    # each row links to the chapter's own scorecard row
    link = browser.find_element("css selector", "td a[href*='#']").get_attribute("href")
    chapter, anchor = link.split("/")[-1].split("#")
    load(browser, f"{site}/notebooks/{chapter}")
    assert browser.find_elements("id", anchor)


def test_status_page_names_every_chapter_and_its_versions(site, browser):
    load(browser, f"{site}/book/status.html")
    text = browser.find_element("tag name", "body").text
    for ch in CHAPTERS.values():
        assert ch.prefix in text
    for word in ("executor", "qutip", "numpy", "parameters hash", "commit at execution"):
        assert word.lower() in text.lower()
