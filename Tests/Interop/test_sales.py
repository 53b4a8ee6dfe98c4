"""The sales handoff end to end against a real `trellis serve`: a lead tracked with Segment's own
Python library crosses the score threshold, is routed by territory, the CRM webhook receiver (a
local HTTP server) gets the signed payload with every context field, the owner's alert email
arrives at aiosmtpd, and the accept link moves the lead to SAL."""
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import requests
import segment.analytics as analytics
from aiosmtpd.controller import Controller

from conftest import ROOT, Server, Sink, create_key, free_port, trellis, wait_for, write_config

SECRET = "crm-webhook-secret-0123456789"


class Receiver(BaseHTTPRequestHandler):
    received = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_lead_is_routed_handed_over_with_context_and_accepted(workdir):
    Receiver.received = []
    hook = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    port = free_port()
    sales = open(os.path.join(ROOT, "examples", "sales", "team.yaml")).read().replace(
        "  # webhook: { url: https://crm.example/hooks/trellis, max_attempts: 8 }   # secret from TRELLIS_WEBHOOK_SECRET",
        f"  webhook: {{ url: 'http://127.0.0.1:{hook.server_port}/hooks/trellis', secret: {SECRET}, max_attempts: 3 }}")
    assert "webhook: {" in sales
    with open(os.path.join(workdir, "sales.yaml"), "w") as f:
        f.write(sales)
    config = write_config(workdir, port, smtp_port, content=f"{ROOT}/examples/content", scoring=f"{ROOT}/examples/scoring/default.yaml", sales="sales.yaml")
    db = os.path.join(workdir, "t.db")
    trellis("migrate", "--db", db)
    admin = create_key(db, "admin")
    write = create_key(db, "write", "website")
    server = Server(db, port=port, extra=("--config", config)).start()
    headers = {"Authorization": f"Bearer {admin}"}
    client = analytics.Client(write, host=server.url, sync_mode=True)
    try:
        client.identify("ada-1", {"email": "ada@initech.example", "firstName": "Ada", "lastName": "Lovelace", "title": "VP Marketing",
                                  "company": "Initech", "company_size": 500, "industry": "Software", "country": "DE",
                                  "pain_point": "Our CRM loses call notes"},
                        context={"campaign": {"source": "google", "medium": "cpc", "name": "crm-migration"}})
        client.track("ada-1", "Ebook Downloaded", {"title": "CRM migration guide"})
        for _ in range(3):
            client.track("ada-1", "Page Viewed", {"path": "/pricing"})
        client.flush()

        # The CRM webhook: signed, with the whole storyline.
        try:
            wait_for(lambda: Receiver.received, timeout=20)
        except AssertionError:
            contact = requests.get(server.url + "/api/v1/contacts?email=ada@initech.example", headers=headers).json()
            raise AssertionError(f"no webhook; contact {contact}; log:\n" + open(db + ".log").read())
        headers_in, body = Receiver.received[0]
        signature = dict(part.split("=", 1) for part in headers_in["X-Trellis-Signature"].split(","))
        expected = hmac.new(SECRET.encode(), f"{signature['t']}.".encode() + body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(signature["v1"], expected), "the webhook signature verifies"
        assert headers_in["X-Trellis-Event"] == "handoff.created"
        payload = json.loads(body)
        for field in ["contact", "account", "firstTouch", "lastTouch", "lastAction", "contentConsumed", "painPoint", "score",
                      "last7Days", "suggestedNextStep", "owner", "assignmentReason", "sla", "links", "reason", "handoffId"]:
            assert field in payload, f"{field} is in the handoff payload"
        assert payload["owner"]["id"] == "lena" and payload["owner"]["team"] == "emea"
        assert "country" in payload["assignmentReason"]
        assert payload["contact"]["email"] == "ada@initech.example" and payload["contact"]["title"] == "VP Marketing"
        assert payload["painPoint"] == "Our CRM loses call notes"
        assert payload["firstTouch"]["utmSource"] == "google"
        assert payload["lastAction"]["event"] == "Page Viewed"
        assert "CRM migration guide" in payload["contentConsumed"]
        assert payload["score"]["total"] >= 60 and payload["score"]["topReasons"]
        assert payload["suggestedNextStep"] == "Offer a pricing walkthrough"
        assert payload["last7Days"]["events"]["Page Viewed"] == 3

        # The owner's alert, at the SMTP server.
        alert = wait_for(lambda: [e for e in sink.envelopes if e.rcpt_tos == ["lena@acme.example"]])[0]
        message = email.message_from_bytes(alert.original_content, policy=email.policy.default)
        assert message["Subject"].startswith("New lead for you: Ada Lovelace (Initech)")
        text = message.get_content()
        accept = re.search(r"Accept: (\S+)", text).group(1)
        page = requests.get(accept)
        assert page.status_code == 200 and "Accept this lead" in page.text
        action = re.search(r'action="([^"]+)"', page.text).group(1)
        assert requests.post(server.url + action, data={"action": "accept"}).status_code == 200

        contact = requests.get(server.url + "/api/v1/contacts?email=ada@initech.example", headers=headers).json()["items"][0]
        assert contact["stage"] == "sal" and contact["owner"] == "lena"
        handoffs = requests.get(server.url + f"/api/v1/handoffs?contactId={contact['id']}", headers=headers).json()["items"]
        assert handoffs[0]["status"] == "accepted" and handoffs[0]["timeToFirstTouchSeconds"] is not None
        # The feedback went to the CRM too.
        wait_for(lambda: any(h.get("X-Trellis-Event") == "handoff.feedback" for h, _ in Receiver.received))
    finally:
        server.stop()
        controller.stop()
        hook.shutdown()
