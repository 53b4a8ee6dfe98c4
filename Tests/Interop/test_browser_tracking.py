"""Tracking from a page on another site, in a real browser (Debian's Chromium through Selenium).

A page served from a different origin does what analytics.js does with its `cdnURL` pointed at
Trellis: it fetches the source's settings (`/v1/projects/{writeKey}/settings`), then posts to the
`apiHost` they name: each call to its type's first letter (`/v1/i`, `/v1/t`, `/v1/p`), batches to
`/v1/b`, the write key inside a `text/plain` JSON body (no preflight). Then a preflighted
`application/json` call with Basic auth, a refused call whose 400 and error body the page must be
able to read (not a network error, which analytics.js would retry for ever), and calls past the
tracking rate limit until a 429 whose `Retry-After` and `X-RateLimit-Reset` the page can read.
What was stored is then checked through the management API, down to the contact's time zone, taken
from the browser's own (`context.timezone`, as analytics.js sends it).
"""
import http.server
import os
import threading
import time

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import ROOT, Server, create_key, free_port, trellis, wait_for

BROWSER_ZONE = "America/Sao_Paulo"
PAGE = b"<!doctype html><html><head><meta charset=utf-8><title>Acme</title></head><body><h1>Acme pricing</h1></body></html>"

# Runs in the page: each step's status, the body or headers the page could read, or the error.
SCRIPT = r"""
const [cdnURL, writeKey, done] = arguments;
const results = [];
let base = null;
const now = new Date().toISOString();
const call = (type, id, fields) => Object.assign({
  type, userId: 'browser-1', anonymousId: 'anon-browser-1', messageId: 'ajs-next-' + id, writeKey, timestamp: now, sentAt: now,
  context: {library: {name: 'analytics.js', version: 'next-1.70.0'}, page: {path: '/pricing', url: location.href}, userAgent: navigator.userAgent,
            timezone: Intl.DateTimeFormat().resolvedOptions().timeZone},
  integrations: {}, _metadata: {bundled: ['Segment.io'], unbundled: [], bundledIds: []}}, fields);
async function send(label, path, body, init = {}) {
  try {
    const response = await fetch(base + path, Object.assign({method: 'post', headers: {'Content-Type': 'text/plain'}, body: JSON.stringify(body)}, init));
    results.push({label, status: response.status, body: await response.text(),
                  retryAfter: response.headers.get('Retry-After'), reset: response.headers.get('X-RateLimit-Reset')});
  } catch (error) {
    results.push({label, error: String(error)});
  }
}
(async () => {
  // As analytics.js loads: the source's settings from cdnURL, then calls to the apiHost they name.
  try {
    const settings = await (await fetch(cdnURL + '/v1/projects/' + writeKey + '/settings')).json();
    const segment = settings.integrations['Segment.io'];
    results.push({label: 'settings', status: 200, segment, sampleRate: settings.metrics.sampleRate});
    base = segment.protocol + '://' + segment.apiHost.replace(/\/v1$/, '');
  } catch (error) {
    results.push({label: 'settings', error: String(error)});
    return done(results);
  }
  await send('identify', '/v1/i', call('identify', 'i1', {traits: {email: 'browser1@acme.example', firstName: 'Bea'}}));
  await send('track', '/v1/t', call('track', 't1', {event: 'Pricing Viewed', properties: {plan: 'pro'}}));
  await send('page', '/v1/p', call('page', 'p1', {name: 'Pricing', properties: {path: '/pricing'}}));
  await send('batch', '/v1/b', {writeKey, sentAt: now, batch: [call('track', 'b1', {event: 'Trial Started'}), call('page', 'b2', {name: 'Docs'})]});
  await send('refused', '/v1/t', call('track', 'bad', {}));
  const json = call('track', 'j1', {event: 'Demo Requested'});
  delete json.writeKey;
  await send('preflighted', '/v1/track', json, {headers: {'Content-Type': 'application/json', 'Authorization': 'Basic ' + btoa(writeKey + ':')}});
  for (let n = 0; n < 6 && !results.some(r => r.status === 429); n++) {
    await send('limited', '/v1/t', call('track', 'l' + n, {event: 'Pricing Viewed'}));
  }
  done(results);
})();
"""


class Site:
    """The customer's site: another origin (`localhost`, another port) than the server (`127.0.0.1`).
    `pages` maps a path to its HTML; any other path is a plain page."""

    def __init__(self):
        self.pages = {}
        pages = self.pages

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(pages.get(self.path, PAGE))

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://localhost:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def site():
    site = Site()
    yield site
    site.httpd.shutdown()


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage"]:
        options.add_argument(argument)
    # The browser's own clock in a zone of its own: analytics.js reports it as context.timezone.
    service = Service("/usr/bin/chromedriver", env={**os.environ, "TZ": BROWSER_ZONE})
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_script_timeout(30)
    yield driver
    driver.quit()


def start(workdir, name, forms=False):
    """A server on a fresh store with the example forms if asked: (server, admin key, write key)."""
    db = os.path.join(workdir, name + ".db")
    trellis("migrate", "--db", db)
    admin = create_key(db, "admin")
    write = create_key(db, "write", source="acme-site")
    extra = ("--forms", os.path.join(ROOT, "examples", "forms")) if forms else ()
    return Server(db, extra=extra).start(), admin, write


def test_a_page_on_another_site_tracks_like_analytics_js_and_reads_every_answer(workdir, site, browser, monkeypatch):
    # Seven requests at once (the settings and six calls), then one every ~9 s: the loop below
    # runs into the limit.
    monkeypatch.setenv("TRELLIS_RATE_LIMITS_TRACKING", "7/m")
    server, admin, write = start(workdir, "browser", forms=True)
    try:
        browser.get(site.url + "/pricing")
        results = {}
        for result in browser.execute_async_script(SCRIPT, server.url, write):
            results.setdefault(result["label"], []).append(result)
        (settings,) = results["settings"]
        host = server.url.removeprefix("http://")
        assert settings.get("segment", {}).get("apiHost") == host + "/v1", settings
        assert settings["segment"]["protocol"] == "http" and settings["segment"]["apiKey"] == write, settings
        assert settings["sampleRate"] == 0, settings
        for label in ["identify", "track", "page", "batch", "preflighted"]:
            (result,) = results[label]
            assert result.get("status") == 200, result
            assert '"success":true' in result["body"], result
        (refused,) = results["refused"]
        assert refused.get("status") == 400, refused
        assert '"field":"event"' in refused["body"], refused
        limited = results["limited"][-1]
        assert limited.get("status") == 429, results["limited"]
        assert limited["retryAfter"] and limited["reset"] == limited["retryAfter"], limited
        assert '"code":"rate_limited"' in limited["body"], limited

        headers = {"Authorization": f"Bearer {admin}"}
        contacts = requests.get(server.url + "/api/v1/contacts", params={"userId": "browser-1"}, headers=headers, timeout=10).json()["items"]
        assert [c["email"] for c in contacts] == ["browser1@acme.example"]
        # The identify carried the browser's zone: the profile's timezone trait, for quiet hours.
        assert contacts[0]["traits"].get("timezone") == BROWSER_ZONE, contacts[0]
        timeline = requests.get(server.url + f"/api/v1/contacts/{contacts[0]['id']}/timeline", params={"limit": 50}, headers=headers, timeout=10).json()["items"]
        names = sorted((e["type"], e.get("event") or "") for e in timeline)
        stored_before_limit = [("identify", ""), ("page", "Docs"), ("page", "Pricing"), ("track", "Demo Requested"),
                               ("track", "Pricing Viewed"), ("track", "Trial Started")]
        # The limited loop's calls that got in before the 429 are more Pricing Viewed events; nothing else.
        extra = len(results["limited"]) - 1
        assert names == sorted(stored_before_limit + [("track", "Pricing Viewed")] * extra), names
        assert all(e["source"] == "acme-site" for e in timeline), timeline
        assert all(e["context"]["library"]["name"] == "analytics.js" for e in timeline), timeline

        # The hosted form in the same browser: its script sends the browser's zone with the lead.
        browser.get(server.url + "/f/demo-request")
        for name, value in [("email", "form-tz@acme.example"), ("firstName", "Flor"), ("lastName", "Tz"), ("company", "Acme")]:
            browser.find_element(By.NAME, name).send_keys(value)
        browser.find_element(By.ID, "f-consent").click()
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 15).until(lambda d: "specialist will contact you" in d.page_source)
        lead = requests.get(server.url + "/api/v1/contacts", params={"email": "form-tz@acme.example"}, headers=headers, timeout=10).json()["items"]
        assert [c["traits"].get("timezone") for c in lead] == [BROWSER_ZONE], lead
    finally:
        server.stop()


def test_an_embedded_form_on_another_site_joins_the_pages_analytics_js_visitor(workdir, site, browser):
    """The site runs analytics.js (its visitor id in localStorage, as analytics.js keeps it) and
    embeds a hosted form with embed.js: the lead the form makes is that visitor, with the page view
    analytics.js sent before, not a stranger with a new id of the form's own."""
    server, admin, write = start(workdir, "embed", forms=True)
    try:
        visitor = "ajs-embed-1"
        requests.post(server.url + "/v1/page", auth=(write, ""), timeout=10,
                      json={"anonymousId": visitor, "name": "Pricing", "messageId": "ajs-p1"}).raise_for_status()
        site.pages["/demo"] = (
            "<!doctype html><html><head><meta charset=utf-8><title>Acme demo</title>"
            f"<script>localStorage.setItem('ajs_anonymous_id', JSON.stringify('{visitor}'))</script></head>"
            f"<body><h1>Book a demo</h1><script src='{server.url}/f/demo-request/embed.js'></script></body></html>"
        ).encode()
        browser.get(site.url + "/demo")
        frame = WebDriverWait(browser, 15).until(lambda d: d.find_element(By.TAG_NAME, "iframe"))
        assert f"anonymousId={visitor}" in frame.get_attribute("src"), frame.get_attribute("src")
        # The frame takes the form's height (the page reports it): no scroll bar, no gap.
        WebDriverWait(browser, 15).until(lambda d: "height" in (frame.get_attribute("style") or "").replace("min-height", ""))
        form_height = browser.execute_script("return arguments[0].getBoundingClientRect().height", frame)
        browser.switch_to.frame(frame)
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.NAME, "email"))
        inner = browser.execute_script("return [document.documentElement.scrollHeight, window.innerHeight]")
        assert inner[0] <= inner[1] + 1 and abs(form_height - inner[0]) <= 2, (form_height, inner)
        for name, value in [("email", "embedded@acme.example"), ("firstName", "Eda"), ("lastName", "Embed"), ("company", "Acme")]:
            browser.find_element(By.NAME, name).send_keys(value)
        browser.find_element(By.ID, "f-consent").click()
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 15).until(lambda d: "specialist will contact you" in d.page_source)
        browser.switch_to.default_content()
        # The shorter thank-you page: the frame shrinks to it.
        WebDriverWait(browser, 15).until(lambda d: d.execute_script("return arguments[0].getBoundingClientRect().height", frame) < form_height - 50)

        headers = {"Authorization": f"Bearer {admin}"}
        (lead,) = requests.get(server.url + "/api/v1/contacts", params={"email": "embedded@acme.example"}, headers=headers, timeout=10).json()["items"]
        assert lead["anonymousIds"] == [visitor], lead
        timeline = requests.get(server.url + f"/api/v1/contacts/{lead['id']}/timeline", headers=headers, timeout=10).json()["items"]
        events = {e.get("event") for e in timeline}
        assert {"Pricing", "Form Submitted", "Demo Requested"} <= events, events
        assert lead["traits"].get("timezone") == BROWSER_ZONE, lead
    finally:
        server.stop()


def test_the_first_party_tracker_in_one_script_tag(workdir, site, browser):
    """A site with no analytics.js installs Trellis's own tracker with one tag: the page view on
    load (with the campaign from the address and the browser's zone), calls through
    `window.trellis`, an identify that takes the visitor's history along, and `ajs_aid` from an
    email click adopted as the visitor."""
    server, admin, write = start(workdir, "tracker", forms=True)
    headers = {"Authorization": f"Bearer {admin}"}
    try:
        tag = f"<script src='{server.url}/v1/tracker.js' data-write-key='{write}'></script>"
        page = f"<!doctype html><html><head><meta charset=utf-8><title>Acme pricing</title>{tag}</head><body><h1>Pricing</h1></body></html>"
        site.pages["/pricing?utm_source=newsletter&utm_campaign=spring"] = page.encode()
        browser.get(site.url + "/pricing?utm_source=newsletter&utm_campaign=spring")
        visitor = browser.execute_script("return window.trellis && window.trellis.user().anonymousId()")
        assert visitor and browser.execute_script("return JSON.parse(localStorage.getItem('ajs_anonymous_id'))") == visitor
        statuses = browser.execute_async_script("""
            const done = arguments[arguments.length - 1];
            Promise.all([trellis.track('Pricing Viewed', {plan: 'pro'}),
                         trellis.identify('tracker-1', {email: 'tracker1@acme.example'})]).then(done);
        """)
        assert statuses == [200, 200], statuses
        (contact,) = wait_for(lambda: requests.get(server.url + "/api/v1/contacts", params={"userId": "tracker-1"}, headers=headers, timeout=10).json()["items"])
        assert contact["email"] == "tracker1@acme.example" and visitor in contact["anonymousIds"], contact
        assert contact["traits"].get("timezone") == BROWSER_ZONE, contact
        def events():
            return requests.get(server.url + f"/api/v1/contacts/{contact['id']}/timeline", headers=headers, timeout=10).json()["items"]

        # The page view went out on load, on its own: wait for it rather than assume its order.
        timeline = wait_for(lambda: (lambda items: items if any(e["type"] == "page" for e in items) else None)(events()))
        kinds = sorted((e["type"], e.get("event") or "") for e in timeline)
        assert kinds == [("identify", ""), ("page", ""), ("track", "Pricing Viewed")], kinds
        (view,) = [e for e in timeline if e["type"] == "page"]
        assert view["context"]["campaign"] == {"source": "newsletter", "name": "spring"}, view["context"]
        # The page's fields in the properties too, where rules look (Page Viewed where path …).
        assert view["properties"]["path"] == "/pricing" and view["properties"]["title"] == "Acme pricing", view["properties"]
        assert view["context"]["page"]["title"] == "Acme pricing" and view["context"]["library"]["name"] == "trellis.js", view["context"]
        assert all(e["source"] == "acme-site" for e in timeline), timeline

        # A link from the site to a hosted form takes the visitor along: the lead is this visitor.
        site.pages["/book"] = (f"<!doctype html><html><head><meta charset=utf-8><title>Book</title>{tag}</head>"
                               f"<body><a id='book' href='{server.url}/f/demo-request'>Book a demo</a></body></html>").encode()
        browser.get(site.url + "/book")
        browser.find_element(By.ID, "book").click()
        WebDriverWait(browser, 15).until(lambda d: d.find_elements(By.NAME, "email"))
        assert f"anonymousId={visitor}" in browser.current_url, browser.current_url
        for name, value in [("email", "booked@acme.example"), ("firstName", "Bo"), ("lastName", "Ok"), ("company", "Acme")]:
            browser.find_element(By.NAME, name).send_keys(value)
        browser.find_element(By.ID, "f-consent").click()
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        WebDriverWait(browser, 15).until(lambda d: "specialist will contact you" in d.page_source)
        (booked,) = requests.get(server.url + "/api/v1/contacts", params={"email": "booked@acme.example"}, headers=headers, timeout=10).json()["items"]
        assert booked["id"] == contact["id"] and visitor in booked["anonymousIds"], (booked, contact)

        # An email click hands the site a known visitor id: the tracker adopts it.
        site.pages["/guide?ajs_aid=known-visitor-7"] = page.encode()
        browser.delete_all_cookies()
        browser.execute_script("localStorage.clear()")
        browser.get(site.url + "/guide?ajs_aid=known-visitor-7")
        assert browser.execute_script("return window.trellis.user().anonymousId()") == "known-visitor-7"
        wait_for(lambda: any("known-visitor-7" in c["anonymousIds"]
                             for c in requests.get(server.url + "/api/v1/contacts", params={"limit": 50}, headers=headers, timeout=10).json()["items"]))
    finally:
        server.stop()


def test_the_tracker_waits_for_consent_when_told_to(workdir, site, browser):
    """With data-consent="required" nothing is stored in the browser or sent until the consent
    banner grants it; what the visitor did before then goes out at that moment, with its own
    times. A denial sends nothing and forgets the ids."""
    server, admin, write = start(workdir, "consent")
    headers = {"Authorization": f"Bearer {admin}"}

    def contacts():
        return requests.get(server.url + "/api/v1/contacts", params={"limit": 50}, headers=headers, timeout=10).json()["items"]

    try:
        tag = f"<script src='{server.url}/v1/tracker.js' data-write-key='{write}' data-consent='required'></script>"
        site.pages["/careful"] = f"<!doctype html><html><head><meta charset=utf-8><title>Careful</title>{tag}</head><body></body></html>".encode()
        browser.get(site.url + "/careful")
        answer = browser.execute_async_script("const done = arguments[arguments.length - 1]; trellis.track('Pricing Viewed').then(done);")
        assert answer == "waiting for consent"
        stored = browser.execute_script("return [localStorage.getItem('ajs_anonymous_id'), document.cookie]")
        assert stored == [None, ""], stored
        time.sleep(0.5)
        assert contacts() == []

        statuses = browser.execute_async_script("const done = arguments[arguments.length - 1]; trellis.consent('granted').then(done);")
        assert statuses == [200, 200], statuses  # the page view from the load, then the track
        visitor = browser.execute_script("return trellis.user().anonymousId()")
        assert browser.execute_script("return JSON.parse(localStorage.getItem('ajs_anonymous_id'))") == visitor
        (contact,) = contacts()
        assert contact["anonymousIds"] == [visitor], contact
        timeline = requests.get(server.url + f"/api/v1/contacts/{contact['id']}/timeline", headers=headers, timeout=10).json()["items"]
        assert sorted(e["type"] for e in timeline) == ["page", "track"], timeline

        # Another visitor says no: nothing is sent, and nothing is kept in the browser.
        browser.delete_all_cookies()
        browser.execute_script("localStorage.clear()")
        browser.get(site.url + "/careful")
        browser.execute_async_script("const done = arguments[arguments.length - 1]; trellis.consent('denied').then(done);")
        browser.execute_async_script("const done = arguments[arguments.length - 1]; trellis.track('Docs Viewed').then(done);")
        assert browser.execute_script("return [localStorage.getItem('ajs_anonymous_id'), document.cookie]") == [None, ""]
        time.sleep(0.5)
        assert len(contacts()) == 1
    finally:
        server.stop()
