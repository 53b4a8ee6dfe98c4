"""The console in a real browser: Debian's Chromium driven by Selenium over a `trellis demo` store.

Signs in, visits every page (and a contact), checks that no page logs a console error or links
somewhere broken, compares the dashboard's numbers with the API's, decides a handoff with the
keyboard, looks at phone width, and saves a screenshot of each page under
.build/test-output/screenshots/ (scripts/test lists them).
"""
import os
import re
import subprocess
import tempfile
import time
from urllib.parse import urljoin, urlparse

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import BIN, ROOT, free_port

SHOTS = os.path.join(ROOT, ".build", "test-output", "screenshots")
PASSWORD = "browser test password"


@pytest.fixture(scope="module")
def demo():
    workdir = tempfile.mkdtemp()
    port = free_port()
    log_path = os.path.join(workdir, "demo.log")
    log = open(log_path, "w")
    process = subprocess.Popen(
        [BIN, "demo", "--db", os.path.join(workdir, "demo.db"), "--port", str(port), "--contacts", "300", "--days", "40"],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, "TRELLIS_PASSWORD": PASSWORD})
    deadline = time.time() + 300
    text = ""
    while time.time() < deadline and "Press Ctrl-C" not in text:
        assert process.poll() is None, open(log_path).read()
        time.sleep(0.5)
        text = open(log_path).read()
    assert "Press Ctrl-C" in text, text
    admin = re.search(r"Admin key\s+(\S+)", text).group(1)
    user = re.search(r"Sign in\s+(\S+)", text).group(1)
    yield {"url": f"http://127.0.0.1:{port}", "admin": admin, "user": user, "output": text}
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def shot(driver, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, name + ".png")
    driver.save_screenshot(path)
    print(f"screenshot: {path}")


def console_errors(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def check_page(driver, session, base, name):
    """No console error, every label tied to a control, every link on the page answering 200."""
    assert console_errors(driver) == [], name
    assert driver.find_element(By.TAG_NAME, "h1").text.strip(), f"{name}: no heading"
    for control in driver.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), select"):
        control_id = control.get_attribute("id")
        labelled = control.get_attribute("aria-label") or (control_id and driver.find_elements(By.CSS_SELECTOR, f"label[for='{control_id}']"))
        assert labelled, f"{name}: a form control without a label"
    for link in driver.find_elements(By.CSS_SELECTOR, "a[href]"):
        href = urljoin(driver.current_url, link.get_attribute("href"))
        if urlparse(href).netloc != urlparse(base).netloc:
            continue
        answer = session.get(href, allow_redirects=False, timeout=10)
        assert answer.status_code == 200, f"{name}: {href} answered {answer.status_code}"
    shot(driver, name)


def test_console_in_a_browser(demo, browser):
    base = demo["url"]
    browser.get(base + "/console")
    assert browser.current_url.endswith("/console/login")
    shot(browser, "01-login")
    browser.find_element(By.ID, "email").send_keys(demo["user"])
    browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda driver: "/console/login" not in driver.current_url)
    assert browser.current_url.endswith("/console/dashboard"), browser.page_source[:500]

    # A requests session with the browser's cookie follows the links.
    session = requests.Session()
    for cookie in browser.get_cookies():
        session.cookies.set(cookie["name"], cookie["value"], path=cookie.get("path", "/"))

    # The dashboard's numbers are the API's.
    cards = browser.find_element(By.CSS_SELECTOR, ".cards")
    period = {"from": cards.get_attribute("data-from"), "to": cards.get_attribute("data-to")}
    api = requests.get(base + "/api/v1/reports/funnel", params=period, headers={"Authorization": "Bearer " + demo["admin"]}, timeout=10).json()
    shown = {element.get_attribute("data-metric"): element.text for element in browser.find_elements(By.CSS_SELECTOR, "[data-metric]")}
    for metric in ["captured", "mql", "sql", "sal", "opportunity", "customer"]:
        assert shown[metric] == str(api["current"]["total"][metric]), (metric, shown, api["current"]["total"])
    assert int(shown["captured"]) > 0 and int(shown["mql"]) > 0, shown
    assert browser.find_element(By.CSS_SELECTOR, "svg[aria-label=Funnel]")
    check_page(browser, session, base, "02-dashboard")

    # Every page in the navigation.
    pages = [(a.text, a.get_attribute("href")) for a in browser.find_elements(By.CSS_SELECTOR, "nav a")]
    assert len(pages) >= 3, pages
    for index, (label, href) in enumerate(pages):
        browser.get(href)
        check_page(browser, session, base, f"03-page-{index}-{label.lower().replace(' ', '-')}")

    # A workflow's graph and a template's preview, from their lists.
    for list_path, name in [("/console/workflows", "04-workflow"), ("/console/content", "04-template")]:
        browser.get(base + list_path)
        browser.find_element(By.CSS_SELECTOR, "main table a").click()
        check_page(browser, session, base, name)

    # The rule editor counts who a rule matches; the count is the API's preview.
    browser.get(base + "/console/segments")
    editor = browser.find_element(By.ID, "rule")
    editor.clear()
    editor.send_keys("match:\n  trait: country\n  in: [DE, US]\n")
    # As the rule is typed, the console's own script asks for the count (after a pause).
    WebDriverWait(browser, 10).until(lambda driver: "contacts match now" in driver.find_element(By.ID, "live-count").text)
    live = browser.find_element(By.ID, "live-count").text.split(" ")[0]
    browser.find_element(By.CSS_SELECTOR, "main form button").click()
    WebDriverWait(browser, 10).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, "[data-field=matching]"))
    api = requests.post(base + "/api/v1/segments/preview", json={"match": {"trait": "country", "in": ["DE", "US"]}},
                        headers={"Authorization": "Bearer " + demo["admin"]}, timeout=10).json()
    assert browser.find_element(By.CSS_SELECTOR, "[data-field=matching]").text == str(api["matching"]), api
    assert live == str(api["matching"]), (live, api)
    check_page(browser, session, base, "04-segment-preview")
    # Saved from the editor, the segment is the API's too.
    browser.find_element(By.ID, "name").send_keys("browser-de-us")
    browser.find_element(By.CSS_SELECTOR, "button[formaction='/console/segments/save']").click()
    WebDriverWait(browser, 10).until(lambda driver: "saved=" in driver.current_url)
    segments = requests.get(base + "/api/v1/segments", headers={"Authorization": "Bearer " + demo["admin"]}, timeout=10).json()["items"]
    assert [item["match"] for item in segments if item["name"] == "browser-de-us"] == [{"trait": "country", "in": ["DE", "US"]}], segments
    check_page(browser, session, base, "04-segment-saved")

    # Contacts: a search and a contact's page.
    browser.get(base + "/console/contacts")
    first = browser.find_element(By.CSS_SELECTOR, "main table a")
    email = first.text
    search = browser.find_element(By.ID, "q")
    search.send_keys(email + Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda driver: "q=" in driver.current_url)
    assert [a.text for a in browser.find_elements(By.CSS_SELECTOR, "main table a")] == [email]
    browser.find_element(By.CSS_SELECTOR, "main table a").click()
    assert browser.find_element(By.CSS_SELECTOR, "[data-field=stage]").text
    contact_id = browser.current_url.rsplit("/", 1)[1]
    contact = requests.get(f"{base}/api/v1/contacts/{contact_id}", headers={"Authorization": "Bearer " + demo["admin"]}, timeout=10).json()
    assert browser.find_element(By.CSS_SELECTOR, "[data-field=stage]").text == (contact.get("stage") or contact.get("lifecycleStage") or "none")
    check_page(browser, session, base, "04-contact")

    # The sales queue: accept the first lead with the keyboard alone.
    browser.get(base + "/console/handoffs")
    form = browser.find_element(By.CSS_SELECTOR, "main form")
    handoff_id = form.get_attribute("action").rsplit("/", 1)[1]
    accept = form.find_element(By.CSS_SELECTOR, "button[value=accept]")
    accept.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda driver: "done=" in driver.current_url, browser.page_source[:800])
    assert "The lead is now accepted." in browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    handoff = requests.get(f"{base}/api/v1/handoffs/{handoff_id}", headers={"Authorization": "Bearer " + demo["admin"]}, timeout=10).json()
    assert handoff["status"] == "accepted", handoff
    check_page(browser, session, base, "05-sales-queue-after-accept")

    # Phone width: nothing runs off the side of the screen.
    browser.set_window_size(390, 844)
    for _, href in pages:
        path = urlparse(href).path
        browser.get(base + path)
        overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow}px too wide at phone width"
        shot(browser, "06-phone" + path.replace("/", "-"))
    browser.set_window_size(1280, 900)

    # Signing out ends the session.
    browser.get(base + "/console/dashboard")
    browser.find_element(By.CSS_SELECTOR, "form[action='/console/logout'] button").click()
    WebDriverWait(browser, 10).until(lambda driver: "/console/login" in driver.current_url)
    assert browser.current_url.endswith("/console/login")
    assert session.get(base + "/console/dashboard", allow_redirects=False).status_code == 303
    assert console_errors(browser) == []
