"""The email channel end to end, against tools no one here wrote: a real `trellis serve --config`
sends a workflow email over STARTTLS with AUTH PLAIN to aiosmtpd; Python's email parser reads the
MIME; dkimpy verifies both DKIM signatures (rsa-sha256 and ed25519-sha256); the RFC 8058 one-click
POST goes over HTTP with `requests`; a bounce piped to `trellis inbound` suppresses the address."""
import email
import email.policy
import os
import re
import subprocess
import time

import dkim
import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from conftest import guide_workflow, BIN, ROOT, Server, Sink, create_key, free_port, server_tls_context, trellis, wait_for
from test_dkim import make_key, public_record


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"trellis" and auth_data.password == b"s3cret"
    return AuthResult(success=ok)


def test_a_workflow_email_goes_out_signed_and_one_click_unsubscribe_works(workdir):
    context, cert = server_tls_context(workdir)
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port, tls_context=context, require_starttls=True,
                            authenticator=authenticator, auth_required=True)
    controller.start()
    rsa, ed = make_key(workdir, "rsa"), make_key(workdir, "ed25519")
    workflows = guide_workflow(workdir)
    port = free_port()
    config = os.path.join(workdir, "trellis.yaml")
    with open(config, "w") as f:
        f.write(f"""
base_url: http://127.0.0.1:{port}
sender:
  from: "Acme <hello@acme.example>"
  reply_to: "sales@acme.example"
  postal_address: "Acme Inc., 1 Main St, Springfield, IL 62701, USA"
smtp: smtp://trellis:s3cret@127.0.0.1:{smtp_port}?tls=starttls&ca={cert}
dkim:
  - {{ domain: acme.example, selector: s1, algorithm: rsa-sha256, key_file: {rsa} }}
  - {{ domain: acme.example, selector: e1, algorithm: ed25519-sha256, key_file: {ed} }}
workflows: {workflows}
content: {ROOT}/examples/content
forms: {ROOT}/examples/forms
caps: {{ marketing_email: {{ max: 3, per: 7d }} }}
""")
    db = os.path.join(workdir, "t.db")
    trellis("migrate", "--db", db)
    admin = create_key(db, "admin")
    server = Server(db, port=port, extra=("--config", config)).start()
    try:
        form = {"_fields": "email,firstName", "_submission": "s1", "email": "ada@example.com", "firstName": "Zoë", "consent": "on",
                "hp_website": ""}
        assert requests.post(server.url + "/f/ebook-crm-migration", data=form).status_code == 200
        try:
            wait_for(lambda: sink.envelopes)
        except AssertionError:
            raise AssertionError("no email arrived; server log:\n" + open(db + ".log").read())
        envelope = sink.envelopes[0]
        assert envelope.mail_from == "hello@acme.example" and envelope.rcpt_tos == ["ada@example.com"]
        raw = envelope.original_content
        records = {b"s1._domainkey.acme.example.": public_record(rsa, "rsa"), b"e1._domainkey.acme.example.": public_record(ed, "ed25519")}
        dns = lambda name, timeout=5: records[name]
        # Both signatures verify, and each covers the one-click headers.
        for index in range(2):
            assert dkim.DKIM(raw).verify(idx=index, dnsfunc=dns), f"DKIM signature {index} does not verify"
        signatures = [v for k, v in email.message_from_bytes(raw).items() if k.lower() == "dkim-signature"]
        assert {re.search(r"a=([\w-]+)", s).group(1) for s in signatures} == {"rsa-sha256", "ed25519-sha256"}
        for signature in signatures:
            signed = re.search(r"h=([^;]+)", signature.replace("\r\n", "").replace(" ", "")).group(1).split(":")
            assert {"from", "subject", "date", "message-id", "list-unsubscribe", "list-unsubscribe-post"} <= set(signed)
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Subject"] == "Zoë, here is your CRM migration guide"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(preferencelist=("plain",)).get_content()
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "Hi Zoë," in text and "Acme Inc., 1 Main St" in text
        assert "Acme Inc., 1 Main St" in html and "/t/o/" in html
        assert all(len(line) <= 998 for line in raw.split(b"\r\n"))

        # A tampered click is refused without a redirect; the real one redirects.
        click = re.search(r'href="(http://127\.0\.0\.1:\d+/t/c/[^"]+)"', html).group(1)
        response = requests.get(click, allow_redirects=False, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"})
        assert response.status_code == 302 and response.headers["Location"] == "https://acme.example/guides/crm-migration"
        tampered = click[:-4] + ("AAAA" if not click.endswith("AAAA") else "BBBB")
        response = requests.get(tampered, allow_redirects=False)
        assert response.status_code == 400 and "Location" not in response.headers

        # RFC 8058 one-click: the URL from the header, POSTed as a mailbox provider does.
        unsubscribe = re.search(r"<(http[^>]+)>", str(message["List-Unsubscribe"])).group(1)
        assert requests.get(unsubscribe).status_code == 200  # the preference center; changes nothing
        contact = requests.get(server.url + "/api/v1/contacts?email=ada@example.com", headers={"Authorization": f"Bearer {admin}"}).json()["items"][0]
        assert contact["consent"]["email"]["status"] == "granted"
        response = requests.post(unsubscribe, data={"List-Unsubscribe": "One-Click"}, allow_redirects=False)
        assert response.status_code == 200 and "Location" not in response.headers
        contact = requests.get(server.url + f"/api/v1/contacts/{contact['id']}", headers={"Authorization": f"Bearer {admin}"}).json()
        assert contact["consent"]["email"]["status"] == "withdrawn"
        timeline = requests.get(server.url + f"/api/v1/contacts/{contact['id']}/timeline", headers={"Authorization": f"Bearer {admin}"}).json()
        names = [item.get("event") or item.get("name") for item in timeline["items"]]
        # The click came within seconds of sending, as a link scanner's would: kept, not counted as engagement.
        assert "Unsubscribed" in names and "Email Sent" in names and "Email Link Scanned" in names and "Email Clicked" not in names
    finally:
        server.stop()
        controller.stop()


def test_a_bounce_piped_to_trellis_inbound_suppresses_the_address(workdir):
    db = os.path.join(workdir, "t.db")
    trellis("migrate", "--db", db)
    bounce = open(os.path.join(ROOT, "Tests", "TrellisMailTests", "Fixtures", "postfix-bounce.eml"), "rb").read()
    out = subprocess.run([BIN, "inbound", "--db", db], input=bounce, capture_output=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert b"bounce: suppressed nobody@example.com" in out.stdout
    out = subprocess.run([BIN, "inbound", "--db", db], input=b"Subject: hello\r\n\r\nhi\r\n", capture_output=True, cwd=ROOT)
    assert out.returncode == 65 and b"not a delivery report" in out.stderr


def test_a_config_with_an_unknown_key_or_missing_key_file_fails_at_start(workdir):
    db = os.path.join(workdir, "t.db")
    config = os.path.join(workdir, "trellis.yaml")
    with open(config, "w") as f:
        f.write("sender: { from: hello@acme.example }\nsmtp_server: localhost\n")
    out = trellis("serve", "--db", db, "--port", "0", "--config", config, check=False)
    assert out.returncode != 0 and "trellis.yaml:2: smtp_server: unknown key" in out.stderr
    with open(config, "w") as f:
        f.write("dkim:\n  - { domain: acme.example, selector: s1, algorithm: ed25519-sha256, key_file: keys/missing.pem }\n")
    out = trellis("serve", "--db", db, "--port", "0", "--config", config, check=False)
    assert out.returncode != 0 and "dkim[0].key_file: cannot read" in out.stderr


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_with_auth_and_an_untrusted_certificate(workdir):
    context, cert = server_tls_context(workdir)
    sink = Sink()
    port = free_port()
    # aiosmtpd does not count implicit TLS as TLS for AUTH (it tracks STARTTLS only); the
    # connection is encrypted from the first byte, so AUTH is allowed on it.
    controller = Controller(sink, hostname="127.0.0.1", port=port, ssl_context=context, authenticator=authenticator, auth_required=True,
                            auth_require_tls=False)
    controller.start()
    try:
        out = subprocess.run([BIN, "mail", "sample", "--smtp", f"smtps://trellis:s3cret@127.0.0.1:{port}?ca={cert}"],
                             capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0, out.stderr
        assert len(sink.envelopes) == 1
        # (A wrong password is covered by Tests/TrellisMailTests: aiosmtpd 1.4.6 does not answer
        # a failed AUTH PLAIN at all, smtplib times out on it too.)
        # A certificate no one vouches for is refused.
        out = subprocess.run([BIN, "mail", "sample", "--smtp", f"smtps://trellis:s3cret@127.0.0.1:{port}"],
                             capture_output=True, text=True, cwd=ROOT)
        assert out.returncode != 0 and len(sink.envelopes) == 1
    finally:
        controller.stop()


def test_workflow_folders_are_watched(workdir):
    folder = os.path.join(workdir, "workflows")
    os.makedirs(folder)
    path = os.path.join(folder, "guide.yaml")
    with open(path, "w") as f:
        f.write("workflow: guide\ntrigger: { event: Ebook Downloaded }\nsteps:\n  - send: { email: ebook-thank-you }\n")
    db = os.path.join(workdir, "t.db")
    trellis("migrate", "--db", db)
    admin = create_key(db, "admin")
    server = Server(db, extra=("--workflows", folder)).start()
    headers = {"Authorization": f"Bearer {admin}"}
    try:
        assert requests.get(server.url + "/api/v1/workflows/guide", headers=headers).json()["version"] == 1
        with open(path, "a") as f:
            f.write("  - wait: 3d\n  - send: { email: migration-pitfalls }\n")
        wait_for(lambda: requests.get(server.url + "/api/v1/workflows/guide", headers=headers).json()["version"] == 2)
        # A broken edit is reported and the running version stays.
        with open(path, "a") as f:
            f.write("  - goto: nowhere\n")
        time.sleep(3)
        assert requests.get(server.url + "/api/v1/workflows/guide", headers=headers).json()["version"] == 2
        assert "nowhere" in open(db + ".log").read()
    finally:
        server.stop()
