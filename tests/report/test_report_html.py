"""`--format html`: a self-contained page, checked by what headless Chromium shows.

The browser tests load the audit fixture's page from disk (file://, no network) and read the
DOM after the page's own script ran. They skip locally without Debian's `chromium`; in CI
(`CI` set) a missing browser fails them, and .ci/run installs it."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from audit_support import EXPECTED, FIXTURE_ARGS, REPO, invoke
from report_samples import check_result, fix_result

from tfkms.report import render

BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--run-all-compositor-stages-before-draw", "--virtual-time-budget=2000"]
CHART = {  # region -> kind -> (migrated, not migrated), from fixtures/audit/EXPECTED.md
    "cn-hangzhou": {"keys": (3, 2), "secrets": (2, 1)},
    "ap-southeast-1": {"keys": (1, 2), "secrets": (1, 1)},
}


class Page(HTMLParser):
    """What the tests look at: headline cards, chart bars, table rows and headers, visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.cards: dict[str, int] = {}
        self.bars: list[dict[str, str]] = []
        self.rows: list[dict[str, str]] = []
        self.headers: dict[str, str] = {}
        self.text: list[str] = []
        self._card: str | None = None
        self._in_count = False
        self._in_tbody = False
        self._skip = 0  # inside <script>/<style>
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "li" and "data-kind" in a:
            self._card = a["data-kind"]
        elif tag == "div" and self._card and a.get("class") == "count":
            self._in_count = True
        elif tag == "rect":
            self.bars.append(a)
        elif tag == "tbody":
            self._in_tbody = True
        elif tag == "tr" and self._in_tbody:
            self.rows.append(a)
        elif tag == "th" and "data-key" in a:
            self.headers[a["data-key"]] = a.get("aria-sort", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag == "li":
            self._card = None
        elif tag == "div":
            self._in_count = False
        elif tag == "tbody":
            self._in_tbody = False

    def handle_data(self, data: str) -> None:
        if self._in_count and self._card:
            self.cards[self._card] = int(data)
        if not self._skip:
            self.text.append(data)

    @property
    def visible(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture(scope="module")
def audit_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        page = tmp_path_factory.mktemp("html") / "audit.html"
        code, _, err = invoke(*FIXTURE_ARGS, "--format", "html", "-o", str(page))
    finally:
        os.chdir(cwd)
    assert code == 2, err
    return page


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is required in CI (.ci/run installs it)")
        pytest.skip("chromium not installed (apt-get install chromium)")
    return found


def dump_dom(browser: str, page: Path, profile: Path, query: str = "") -> Page:
    done = subprocess.run([browser, *BROWSER_FLAGS, f"--user-data-dir={profile}", "--dump-dom",
                           page.as_uri() + query], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "<html" in done.stdout, done.stderr
    return Page(done.stdout)


# ---------------------------------------------------------------- in the browser


def test_browser_shows_counts_every_address_and_the_chart(chromium: str, audit_page: Path, tmp_path: Path) -> None:
    page = dump_dom(chromium, audit_page, tmp_path / "profile")
    assert page.cards == {"not-migrated": 2, "mismatched": 5, "unmanaged": 6, "missing": 3}
    assert "tfkms audit: drift found" in page.visible
    assert {(r["data-rule"], r["data-address"]) for r in page.rows} == {(rule, a) for rule, a, _ in EXPECTED}
    for _, address, region in EXPECTED:
        assert address in page.visible
    bars = {(b["data-region"], b["data-kind"], b["data-status"]): b for b in page.bars}
    assert len(bars) == len(page.bars) == 8
    for region, kinds in CHART.items():
        for kind, (migrated, not_migrated) in kinds.items():
            for status, count in (("migrated", migrated), ("not-migrated", not_migrated)):
                bar = bars[region, kind, status]
                assert int(bar["data-count"]) == count and float(bar["width"]) > 0
    # Widths are to scale: 3 migrated keys in cn-hangzhou are three times 1 in ap-southeast-1.
    ratio = float(bars["cn-hangzhou", "keys", "migrated"]["width"]) / float(bars["ap-southeast-1", "keys", "migrated"]["width"])
    assert ratio == pytest.approx(3, rel=0.01)
    assert "cn-shanghai: 1 state-managed key or secret" in page.visible


def test_browser_sorts_on_load_from_the_query(chromium: str, audit_page: Path, tmp_path: Path) -> None:
    page = dump_dom(chromium, audit_page, tmp_path / "profile", "?sort=rule&dir=desc")
    rules = [r["data-rule"] for r in page.rows]
    assert rules == sorted(rules, reverse=True) and rules != sorted(rules)
    assert page.headers["rule"] == "descending" and page.headers["address"] == "none"


def test_browser_sorts_on_header_click(chromium: str, audit_page: Path, tmp_path: Path) -> None:
    unsorted = [r["data-address"] for r in Page(audit_page.read_text()).rows]
    assert unsorted != sorted(unsorted)
    # Two clicks on "Address": ascending, then descending; the page's own handler does the work.
    clicking = tmp_path / "clicked.html"
    clicking.write_text(audit_page.read_text().replace(
        "</body>", "<script>var th = document.querySelector('th[data-key=address] button');"
                   "th.click(); th.click();</script>\n</body>"))
    page = dump_dom(chromium, clicking, tmp_path / "profile")
    addresses = [r["data-address"] for r in page.rows]
    assert addresses == sorted(unsorted, reverse=True)
    assert page.headers["address"] == "descending"


# ---------------------------------------------------------------- the file itself


def test_page_is_self_contained(audit_page: Path) -> None:
    html = audit_page.read_text()
    assert "default-src 'none'" in html  # the browser refuses any load, even one slipped in later
    for pattern in (r"\bsrc\s*=", r"\bhref\s*=", r"url\(", r"@import", r"<link\b", r"https?:", r"<iframe\b"):
        assert not re.search(pattern, html, re.IGNORECASE), pattern
    assert html.count("<script>") == 1 and "<svg" in html


def test_repo_and_cloud_text_is_escaped() -> None:
    html = render(check_result(), "html")
    assert "<img src=x onerror=alert(1)>" not in html
    assert "Key spec &lt;img src=x onerror=alert(1)&gt; | EC_SM2" in html
    assert "module.kms[&#34;a|b&#34;].alicloud_kms_key.this" in html


@pytest.mark.parametrize("sample", [check_result, fix_result])
def test_other_commands_render_without_an_audit_chart(sample) -> None:  # type: ignore[no-untyped-def]
    result = sample()
    html = render(result, "html")
    assert "<svg" not in html and 'data-kind="unmanaged"' not in html
    assert f"tfkms {result.command}:" in html
    for finding in result.findings:
        assert finding.rule in html


def test_html_report(audit_page: Path, snapshot) -> None:  # type: ignore[no-untyped-def]
    assert audit_page.read_text() == snapshot
