"""The clinician's page in a real browser: upload, paste, region, a bad file, the pictures, print.

Chromium (Debian's, through chromedriver and Selenium) drives a real ``her2gc serve``; each
flow leaves a full-page screenshot in tests/page/screenshots/ (or $HER2GC_SCREENSHOTS),
and the print view a PDF, for a person to look at. The checks read the page's DOM: the
report's headline fields, the plots' marks by the ids the plot code gives them, the
problem line of a bad file, what print leaves out.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from page_helpers import EXAMPLE, axe_script

pytest.importorskip("selenium", reason="selenium is not installed (the test extra)")

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

BAD_LINE = "bad_case.yaml: case.her2_tests[1].ihc.score: '4+' is not one of 0, 1+, 2+, 3+"


def full_page_screenshot(driver: Any, path: Path) -> Path:
    """The whole page, not only the window (Chromium's DevTools screenshot beyond the viewport)."""
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    assert path.stat().st_size > 10_000
    return path


def _left(page: Any) -> Any:
    """A wait condition: the browser has left the document ``page`` (its root element) belongs to.

    Selenium's ``staleness_of`` expects a stale-element error; while the old document is being
    unloaded, chromedriver may answer any element call with another one ("Node with given id
    does not belong to the document"), which means the same."""

    def left(_driver: Any) -> bool:
        try:
            page.is_enabled()
        except WebDriverException:  # stale element, or the node's document is being replaced
            return True
        return False

    return left


def _open_form(driver: Any, base: str) -> None:
    driver.get(base + "/")
    WebDriverWait(driver, 20).until(expected_conditions.presence_of_element_located((By.ID, "case-file")))


def _submit(driver: Any) -> None:
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 60).until(_left(page))
    WebDriverWait(driver, 60, ignored_exceptions=(WebDriverException,)).until(
        expected_conditions.presence_of_element_located((By.TAG_NAME, "main"))
    )


def _meta_line(driver: Any) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, "main > h1 + p.small").text)


def _upload(driver: Any, base: str, path: Path, region: str = "") -> None:
    _open_form(driver, base)
    driver.find_element(By.ID, "case-file").send_keys(str(path))
    Select(driver.find_element(By.ID, "region")).select_by_value(region)
    _submit(driver)


def _press(driver: Any, key: str) -> None:
    """A key as the user presses it, to whatever has the focus (a file control takes no typed path)."""
    ActionChains(driver).send_keys(key).perform()


def _count(driver: Any, selector: str) -> int:
    return len(driver.find_elements(By.CSS_SELECTOR, selector))


def test_the_empty_page_by_keyboard(browser, server, screenshots):
    _open_form(browser, server)
    assert browser.title == "her2gc: a new case"
    for control in ("case-file", "case-text", "region"):
        label = browser.find_element(By.CSS_SELECTOR, f'label[for="{control}"]')
        assert label.is_displayed() and label.text.strip()
    order = []
    _press(browser, Keys.TAB)  # from the page itself: the first stop is the name of the service
    for _ in range(5):
        active = browser.switch_to.active_element
        order.append(active.get_attribute("id") or active.tag_name)
        style = browser.execute_script(
            "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth];", active
        )
        assert style == ["solid", "3px"], f"{order[-1]}: no visible focus ({style})"
        _press(browser, Keys.TAB)
    assert order == ["a", "case-file", "case-text", "region", "button"]
    full_page_screenshot(browser, screenshots / "page-empty.png")


def test_the_upload_flow_shows_the_report_with_its_pictures(browser, server, screenshots):
    _upload(browser, server, EXAMPLE)
    assert browser.current_url == server + "/report"
    assert "patient EXAMPLE-001" in browser.find_element(By.CSS_SELECTOR, "main > h1").text
    assert "region CN" in _meta_line(browser)  # "as in the case"
    assert browser.find_element(By.CSS_SELECTOR, ".her2").text.startswith("HER2 POSITIVE")
    assert _count(browser, "main table tr") > 5
    # the ctDNA trend: its three ERBB2 copy-number points, the line of therapy shaded, progression marked
    assert _count(browser, "svg#her2gc-ctdna #her2gc-ctdna-ctdna-erbb2-copy-number use") == 3
    assert _count(browser, "svg#her2gc-ctdna #her2gc-ctdna-therapy-line-1-band") == 1
    assert _count(browser, "svg#her2gc-ctdna #her2gc-ctdna-ctdna-erbb2-copy-number-at-progression") == 1
    # the timeline: the bar of line 1, the two HER2 tests, the three plasma samples (the last at progression)
    assert _count(browser, "svg#her2gc-timeline #her2gc-timeline-line-bar-line-1") == 1
    assert _count(browser, "#her2gc-timeline-her2-test-1, #her2gc-timeline-her2-test-2") == 2
    assert (
        _count(browser, "#her2gc-timeline-ctdna-1, #her2gc-timeline-ctdna-2, #her2gc-timeline-ctdna-3-at-progression")
        == 3
    )
    # the network: the patient's alterations and the offered drugs' targets marked
    assert _count(browser, "svg#her2gc-network g.node.altered") >= 2
    assert _count(browser, "svg#her2gc-network g.node.drug-target") >= 1
    for figure in browser.find_elements(By.CSS_SELECTOR, "figure svg.her2gc-plot"):
        assert figure.is_displayed() and figure.size["width"] > 400
        assert figure.get_attribute("role") == "img" and figure.get_attribute("aria-labelledby")
    full_page_screenshot(browser, screenshots / "report-upload.png")
    browser.find_element(By.LINK_TEXT, "New case").click()
    WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, "case-text")))
    assert browser.current_url == server + "/"


def test_paste_and_choose_the_region_by_keyboard_then_switch_it(browser, server, screenshots):
    text = EXAMPLE.read_text()
    _open_form(browser, server)
    box = browser.find_element(By.ID, "case-text")
    box.click()
    box.send_keys(text)
    assert box.get_property("value") == text
    _press(browser, Keys.TAB)
    chooser = browser.switch_to.active_element
    assert chooser.get_attribute("id") == "region"
    _press(browser, "e")  # a select chooses by the first letter typed
    assert Select(chooser).first_selected_option.get_attribute("value") == "EU"
    _press(browser, Keys.TAB)
    assert browser.switch_to.active_element.tag_name == "button"
    page = browser.find_element(By.TAG_NAME, "html")
    _press(browser, Keys.ENTER)
    WebDriverWait(browser, 60).until(_left(page))
    WebDriverWait(browser, 60, ignored_exceptions=(WebDriverException,)).until(
        expected_conditions.presence_of_element_located((By.TAG_NAME, "main"))
    )
    assert "region EU" in _meta_line(browser)
    assert "Approval (EU)" in [th.text for th in browser.find_elements(By.CSS_SELECTOR, "main table th")]
    full_page_screenshot(browser, screenshots / "report-pasted-EU.png")
    eu_options = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "main table tr td:nth-child(4)")]
    # the same case for Japan: the report says so, and the approvals column is Japan's
    _upload(browser, server, EXAMPLE, region="JP")
    assert "region JP" in _meta_line(browser)
    assert "Approval (JP)" in [th.text for th in browser.find_elements(By.CSS_SELECTOR, "main table th")]
    jp_options = [td.text for td in browser.find_elements(By.CSS_SELECTOR, "main table tr td:nth-child(4)")]
    assert eu_options and jp_options and eu_options != jp_options


def test_a_bad_file_gives_the_page_again_with_the_field_named(browser, server, screenshots, tmp_path):
    bad = tmp_path / "bad_case.yaml"
    bad.write_text(EXAMPLE.read_text().replace("ihc: {score: 3+}", "ihc: {score: 4+}"))
    _upload(browser, server, bad, region="EU")
    assert browser.title.startswith("Error:")
    alert = browser.find_element(By.CSS_SELECTOR, '[role="alert"]')
    assert alert.is_displayed() and BAD_LINE in alert.text
    assert browser.find_element(By.ID, "case-file").get_attribute("aria-invalid") == "true"
    assert Select(browser.find_element(By.ID, "region")).first_selected_option.get_attribute("value") == "EU"
    full_page_screenshot(browser, screenshots / "page-bad-file.png")
    # pasted, the text stays in the box to be corrected
    box = browser.find_element(By.ID, "case-text")
    box.send_keys(bad.read_text())
    browser.execute_script("arguments[0].value = ''", browser.find_element(By.ID, "case-file"))
    _submit(browser)
    assert "pasted text: case.her2_tests[1].ihc.score" in browser.find_element(By.CSS_SELECTOR, '[role="alert"]').text
    assert browser.find_element(By.ID, "case-text").get_property("value") == bad.read_text()


def test_the_printed_report_keeps_the_pictures_and_leaves_the_bar_out(browser, server, screenshots):
    _upload(browser, server, EXAMPLE)
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.CSS_SELECTOR, "header.site").is_displayed()
        assert _count(browser, "form") == 0
        assert all(svg.is_displayed() for svg in browser.find_elements(By.CSS_SELECTOR, "svg.her2gc-plot"))
        sources = browser.execute_script(
            "return [...document.querySelectorAll('details ol li')].filter(li => li.getBoundingClientRect().height > 0).length"
        )
        assert sources == _count(browser, "details ol li") > 0  # the sources are printed, opened
        network = browser.find_element(By.CSS_SELECTOR, "svg#her2gc-network").size
        full_page_screenshot(browser, screenshots / "report-print-media.png")
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    pdf = base64.b64decode(
        browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})["data"]
    )
    (screenshots / "report-print.pdf").write_bytes(pdf)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    assert pdf.startswith(b"%PDF") and pages >= 2
    # A4 less its margins is 270 mm high, about 1020 CSS px: the network picture fits one page
    assert network["height"] < 1000


def test_axe_finds_no_accessibility_violation(browser, server, tmp_path):
    script = axe_script()
    if script is None:
        pytest.skip(
            "axe-core not found: npm install --prefix ~/.cache/her2gc-tests axe-core "
            "(or set HER2GC_AXE_CORE to its axe.min.js)"
        )
    source = script.read_text(encoding="utf-8")
    bad = tmp_path / "bad_case.yaml"
    bad.write_text(EXAMPLE.read_text().replace("ihc: {score: 3+}", "ihc: {score: 4+}"))
    browser.set_script_timeout(120)
    found = {}
    for name, show in (
        ("the empty page", lambda: _open_form(browser, server)),
        ("the page with a bad file", lambda: _upload(browser, server, bad)),
        ("the report", lambda: _upload(browser, server, EXAMPLE)),
    ):
        show()
        browser.execute_script(source)  # through DevTools: the page's CSP (no script) stays as it is
        violations = browser.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                                  "wcag22aa", "best-practice"]}})
              .then(r => done(r.violations.map(v => `${v.id} (${v.impact}): ${v.help}; ` +
                                                    v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "))))
              .catch(e => done([`axe failed: ${e}`]));
            """
        )
        if violations:
            found[name] = violations
    assert found == {}, found
