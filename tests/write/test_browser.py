"""The corpus browser (browser/ in the dataset folder: index.html and pages): deterministic, offline, and it works
in a real headless Chromium: documents shown, a clicked quote lights up its source, filters hide.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import REPO
from hypothesis import example, given, settings
from hypothesis import strategies as st

from builder.config import load_config
from builder.release import build
from builder.write.browser import FIRST_PAGE as PAGE

SEEDS = {
    "000_ba2a176cc4aaac8d": "ট্রাম্পের সঙ্গে আলাস্কা সম্মেলনের আগে ফোনে পুতিন ও কিমের ফোনালাপ",
    "003_def7398b55f8b37b": "উত্তর কোরিয়ার সঙ্গে সম্পর্ক বাড়ানোর অঙ্গীকারে পুতিনের চিঠি",
}
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SETUP = (
    "the browser test needs Chromium, chromedriver and selenium; run the test setup from README.md "
    "(apt-get install -y chromium chromium-driver; .venv/bin/pip install selenium)"
)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = load_config(REPO)
    out = tmp_path_factory.mktemp("browser") / "dataset"
    build.build(cfg, out)
    return out


def test_page_is_deterministic_and_self_contained(built: Path, tmp_path: Path) -> None:
    cfg = load_config(REPO)
    again = tmp_path / "again"
    build.build(cfg, again)
    page = (built / PAGE).read_bytes()
    assert page == (again / PAGE).read_bytes()
    text = page.decode("utf-8")
    # the embedded JSON never closes its <script> early and parses back to the corpus
    blob = re.search(r'<script type="application/json" id="corpus-data">(.*?)</script>', text, re.S).group(1)
    markup = text.replace(blob, "")  # the corpus text may one day quote a URL; the page itself loads none
    assert "http://" not in markup and "https://" not in markup
    # the one file it loads is the page list beside it (browser/pages.js), for the previous/next links
    assert re.findall(r"<(?:script|link|img|iframe|source|object|embed)\b[^>]*\b(?:src|href|data)=[^>]*>", markup) == ['<script src="pages.js">']
    assert (built / "browser" / "pages.js").read_text(encoding="utf-8") == f'var PAGES = ["{PAGE.name}"];\n'
    assert "@import" not in markup and "url(" not in markup
    assert "</" not in blob
    data = json.loads(blob)
    assert [d["doc_id"] for d in data["documents"]] == sorted(SEEDS)


def _driver(profile: Path):
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not Path(p).exists()]
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        missing.append("selenium (Python package)")
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: {SETUP}")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", "--window-size=1400,1800"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def _active_source_text(article) -> str:
    return "".join(n.text for n in article.find_elements("css selector", ".text .src.active-source"))


def test_browser_in_headless_chromium(built: Path) -> None:
    from_page = (built / PAGE).resolve()
    profile = Path(tempfile.mkdtemp(prefix="bn-news-chromium-"))
    driver = _driver(profile)
    try:
        driver.get(from_page.as_uri())
        assert driver.find_element("css selector", "body").get_attribute("data-ready") == "1"

        for doc_id, title in SEEDS.items():
            article = driver.find_element("id", f"doc-{doc_id}")
            assert article.is_displayed()
            assert doc_id in article.find_element("css selector", "h2.doc-head").text
            body = article.find_element("css selector", ".text").text
            assert body.startswith(title) and article.text.count(title) == 1, "the headline is shown once"

        bss = driver.find_element("id", "doc-000_ba2a176cc4aaac8d")
        # the Kremlin's direct quote: its source span lights up, and only it
        quote = [n for n in bss.find_elements("css selector", ".text .content")
                 if n.get_attribute("data-attrs") == "000_ba2a176cc4aaac8d:a11-content"]
        assert quote, "the Kremlin quote is not rendered as a CONTENT span"
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", quote[0])
        quote[0].click()
        assert _active_source_text(bss) == "ক্রেমলিন"
        assert "".join(n.text for n in bss.find_elements("css selector", ".text .cue.active-cue")) == "বলেছে"

        # a KCNA statement (quote nested in it belongs to Putin): clicking the KCNA content outside the nested quote
        kcna = [n for n in bss.find_elements("css selector", ".text .content")
                if n.get_attribute("data-attrs") == "000_ba2a176cc4aaac8d:a04-content"]
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", kcna[0])
        kcna[0].click()
        assert _active_source_text(bss) == "কেসিএনএ"
        assert bss.find_elements("css selector", ".attr.active")[0].get_attribute("data-id") == "000_ba2a176cc4aaac8d:a04-content"
        # nesting is shown: the Putin quote is listed under the KCNA statement
        nested = bss.find_element("css selector", '.attr[data-id="000_ba2a176cc4aaac8d:a04-content"] .attr')
        assert nested.get_attribute("data-id") == "000_ba2a176cc4aaac8d:a05-content"
        # stance badges per statement and for the document
        assert bss.find_elements("css selector", ".attr .badge.FAVOR")
        assert bss.find_element("css selector", ".doc-stance .badge").text.endswith("NONE")

        # label filter: unchecking PER takes the highlight off every PER mention
        per = bss.find_element("css selector", '.text .ent[data-label="PER"]')
        before = per.value_of_css_property("background-color")
        driver.find_element("css selector", '#label-filter input[value="PER"]').click()
        assert "label-off" in per.get_attribute("class")
        assert per.value_of_css_property("background-color") != before
        assert per.value_of_css_property("background-color") in ("rgba(0, 0, 0, 0)", "transparent")

        # outlet filter: unchecking Amar Sangbad hides its document, BSS stays
        driver.find_element("css selector", '#outlet-filter input[value="Amar Sangbad"]').click()
        assert not driver.find_element("id", "doc-003_def7398b55f8b37b").is_displayed()
        assert bss.is_displayed()
        driver.find_element("css selector", '#outlet-filter input[value="Amar Sangbad"]').click()
        driver.find_element("css selector", '#label-filter input[value="PER"]').click()

        quote[0].click()
        driver.execute_script("window.scrollTo(0, 0);")
        shots = REPO / "build" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(shots / "browser.png"))

        severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == []
        # one page: a link to the index, none to a neighbour
        assert [a.get_attribute("rel") for a in driver.find_elements("css selector", "#pages a")] == ["index"]
        assert driver.find_element("id", "page-number").text == "page 1 of 1"

        # several shards' pages: each links to its neighbours in pages.js, across shards too
        from builder.write import browser

        docs = [{"doc_id": f"d{k}", "outlet": "BSS", "text": "x"} for k in range(5)]
        old, browser.PAGE_DOCS = browser.PAGE_DOCS, 2
        try:
            parts = _shard_pages(profile / "parts", [docs[:3], docs[3:]], _scheme())
        finally:
            browser.PAGE_DOCS = old
        many = profile / "many"
        files = [p.name for p in browser.place_pages(many, parts)[2:]]
        driver.get((many / "browser" / files[1]).as_uri())
        links = {a.get_attribute("rel"): a.get_attribute("href").rsplit("/", 1)[-1] for a in driver.find_elements("css selector", "#pages a")}
        assert links == {"index": "index.html", "prev": files[0], "next": files[2]}
        assert driver.find_element("id", "page-number").text == "page 2 of 3"
        driver.get((many / "browser" / files[2]).as_uri())
        assert [a.get_attribute("rel") for a in driver.find_elements("css selector", "#pages a")] == ["index", "prev"]
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _shard_pages(parts: Path, shards: list[list[dict]], scheme) -> list[Path]:
    from builder.write import browser

    folders = []
    for rank, docs in enumerate(shards):
        folder = parts / f"{rank:05d}"
        writer = browser.PageWriter(folder / "browser", scheme)
        for d in docs:
            writer.add(browser.record_line(d))
        writer.close()
        folders.append(folder)
    return folders


def _scheme():
    from builder.scheme import load_scheme

    cfg = load_config(REPO)
    return load_scheme(cfg.path(cfg.labeling_config), cfg.path(cfg.registry))


def test_pages_hold_at_most_page_docs_and_are_listed_across_shards(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from builder.write import browser

    monkeypatch.setattr(browser, "PAGE_DOCS", 2)
    docs = [{"doc_id": f"d{k}", "outlet": "BSS" if k % 2 else "Amar Sangbad", "text": "x"} for k in range(5)]
    parts = _shard_pages(tmp_path / "parts", [docs[:3], docs[3:]], _scheme())
    out = tmp_path / "dataset"
    written = browser.place_pages(out, parts)
    pages = [out / browser.page_path("00000", 1), out / browser.page_path("00000", 2), out / browser.page_path("00001", 1)]
    assert written == [out / browser.INDEX, out / browser.PAGES_JS, *pages]
    assert sorted((out / "browser").iterdir()) == sorted(written)
    held = []
    for page in pages:
        blob = re.search(r'<script type="application/json" id="corpus-data">(.*?)</script>', page.read_text(encoding="utf-8"), re.S).group(1)
        data = json.loads(blob)
        held.append([d["doc_id"] for d in data["documents"]])
        assert data["nav"] == {"index": "index.html", "pages": "pages.js"}
        assert data["outlets"] == sorted({d["outlet"] for d in data["documents"]})
    assert held == [["d0", "d1"], ["d2"], ["d3", "d4"]]
    listed = json.loads((out / browser.PAGES_JS).read_text(encoding="utf-8").removeprefix("var PAGES = ").rstrip(";\n"))
    assert listed == [p.name for p in pages]
    index = (out / browser.INDEX).read_text(encoding="utf-8")
    assert all(f'href="{p.name}"' in index for p in pages) and "5 document(s) on 3 page(s)" in index
    assert "<td>d2</td><td>d2</td><td>1</td>" in index


def test_a_page_stays_under_its_byte_limit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from builder.write import browser

    monkeypatch.setattr(browser, "PAGE_BYTES", browser._overhead() + 250_000)
    docs = [{"doc_id": f"d{k}", "outlet": "BSS", "text": "ক" * 30_000} for k in range(8)]  # ~90 kB each in UTF-8
    (part,) = _shard_pages(tmp_path / "parts", [docs], _scheme())
    pages = sorted((part / "browser").glob("*.html"))
    assert len(pages) == 4  # two documents per page fit, a third would not
    assert all(p.stat().st_size <= browser.PAGE_BYTES for p in pages)


_JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


@given(_JSONISH)
@example("\ud800")
@example({"k": [2**70, "\u2028<\x1f"]})
@settings(max_examples=300, deadline=None)
def test_json_line_is_the_standard_librarys_text_made_script_safe(data) -> None:
    from builder.write import browser

    try:
        expected = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        with pytest.raises(type(e)):
            browser.json_line(data)
        return
    expected = expected.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    assert browser.json_line(data) == expected
