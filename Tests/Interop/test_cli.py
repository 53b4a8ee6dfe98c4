"""The trellis command line as an operator uses it: import, export, keys, demo."""
import csv
import io
import os
import re
import signal
import subprocess
import time

import requests

from conftest import BIN, ROOT, free_port, trellis

EXAMPLES = os.path.join(ROOT, "examples", "csv")
DATA = os.path.join(os.path.dirname(__file__), "data")


def test_import_hubspot_and_mailchimp_exports_then_export(workdir):
    db = os.path.join(workdir, "cli.db")
    first = trellis("import", "contacts", "--db", db, os.path.join(EXAMPLES, "hubspot-contacts.csv"))
    assert "4 contacts read; 4 imported or updated" in first.stdout
    second = trellis("import", "contacts", "--db", db, os.path.join(EXAMPLES, "mailchimp-subscribed.csv"))
    assert "2 contacts read; 2 imported or updated" in second.stdout
    # Re-running is idempotent.
    again = trellis("import", "contacts", "--db", db, os.path.join(EXAMPLES, "hubspot-contacts.csv"))
    assert "0 imported or updated, 4 unchanged" in again.stdout

    exported = trellis("export", "contacts", "--db", db).stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    by_email = {row["Email"].lower(): row for row in rows}
    assert len(rows) == 5  # Ada is in both files: one contact
    ada = by_email["ada@analytical.example"]
    assert ada["Lifecycle Stage"] == "Marketing Qualified Lead"
    assert ada["Company"] == "Analytical Engines"
    assert ada["Email Consent"] == "granted"  # from Mailchimp's OPTIN_TIME
    assert by_email["grace@cobol.example"]["Number of Employees"] == "1200"
    assert by_email["alan@bletchley.example"]["Job Title"] == "Director, Revenue Operations"
    assert by_email["margaret@apollo.example"]["Email Consent Date"].startswith("2025-11-02T10:15:40")

    # The exported file goes back in unchanged in meaning.
    path = os.path.join(workdir, "roundtrip.csv")
    with open(path, "w") as f:
        f.write(exported)
    back = trellis("import", "contacts", "--db", os.path.join(workdir, "other.db"), path)
    assert "5 contacts read; 5 imported or updated" in back.stdout


def test_bad_rows_are_reported_by_line_and_good_rows_kept(workdir):
    db = os.path.join(workdir, "bad.db")
    path = os.path.join(DATA, "mixed-quality.csv")
    result = trellis("import", "contacts", "--db", db, path, check=False)
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith(path)]
    assert [int(re.match(re.escape(path) + r":(\d+):", line).group(1)) for line in lines] == [3, 4, 5]
    assert "not an email address" in lines[0] and "unknown lifecycle stage 'Wizard'" in lines[1] and "last tuesday" in lines[2]
    assert "2 imported or updated" in result.stdout
    exported = trellis("export", "contacts", "--db", db).stdout
    assert {row["Email"] for row in csv.DictReader(io.StringIO(exported))} == {"good.one@acme.example", "good.four@acme.example"}


def test_unreadable_input_is_a_clear_error(workdir):
    missing = trellis("import", "contacts", "--db", os.path.join(workdir, "x.db"), "/nonexistent.csv", check=False)
    assert missing.returncode != 0 and "/nonexistent.csv: cannot read the file" in missing.stderr
    no_email = os.path.join(workdir, "no-email.csv")
    with open(no_email, "w") as f:
        f.write("Name,Company\nAda,Acme\n")
    result = trellis("import", "contacts", "--db", os.path.join(workdir, "x.db"), no_email, check=False)
    assert result.returncode != 0 and f"{no_email}:1: no email column" in result.stderr
    bad_role = trellis("keys", "create", "--db", os.path.join(workdir, "x.db"), "--role", "god", check=False)
    assert bad_role.returncode != 0 and "unknown role 'god'" in bad_role.stderr
    bad_db = trellis("migrate", "--db", "mysql://nope", check=False)
    assert bad_db.returncode != 0 and "unsupported database URL" in bad_db.stderr


def test_an_upgrade_that_rewrites_the_log_keeps_it_and_leaves_the_wal_empty(workdir):
    """A store as migration v13 left it, with 300,000 events, upgraded by `trellis migrate`: v14
    copies the log into the keyed table (every row and seq kept, each keyed), and the command
    closes the store, which copies the WAL back instead of leaving ~300 MB of it behind."""
    import sqlite3
    import uuid

    db = os.path.join(workdir, "v13.db")
    trellis("migrate", "--db", db)
    # Back to v13: the log with its UNIQUE (source, message_id) and no key, the IN-list index.
    con = sqlite3.connect(db, isolation_level=None)
    con.executescript("""
        DROP TABLE events;
        CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, message_id TEXT NOT NULL,
            contact_id INTEGER, type TEXT NOT NULL, name TEXT, user_id TEXT, anonymous_id TEXT, group_id TEXT,
            properties TEXT NOT NULL, context TEXT NOT NULL, timestamp INTEGER NOT NULL, original_timestamp INTEGER,
            sent_at INTEGER, received_at INTEGER NOT NULL, UNIQUE (source, message_id));
        CREATE INDEX events_contact ON events(contact_id, seq);
        DROP INDEX email_sends_due;
        CREATE INDEX email_sends_due ON email_sends(next_attempt_at) WHERE status IN ('queued', 'deferred', 'sending');
        DELETE FROM grdb_migrations WHERE identifier LIKE 'v14-%' OR identifier LIKE 'v15-%';
    """)
    con.execute("BEGIN")
    con.executemany(
        "INSERT INTO events (source, message_id, contact_id, type, name, properties, context, timestamp, received_at)"
        " VALUES ('web', ?, NULL, 'track', 'Clicked', '{\"path\":\"/pricing\"}', '{}', ?, 0)",
        ((str(uuid.uuid4()), index) for index in range(300_000)))
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    trellis("migrate", "--db", db)
    wal = db + "-wal"
    assert not os.path.exists(wal) or os.path.getsize(wal) == 0, os.path.getsize(wal)
    check = subprocess.run(
        ["sqlite3", db, "PRAGMA integrity_check; SELECT count(*), count(message_key), min(seq), max(seq) FROM events;"
         " SELECT count(*) FROM grdb_migrations;"], capture_output=True, text=True)
    assert check.stdout.split() == ["ok", "300000|300000|1|300000", "15"], check.stdout


def test_keys_create_prints_the_key_last(workdir):
    db = os.path.join(workdir, "k.db")
    out = trellis("keys", "create", "--db", db, "--role", "read").stdout.strip().splitlines()
    assert re.fullmatch(r"trk_[A-Za-z0-9_-]{43}", out[-1])
    listing = trellis("keys", "list", "--db", db).stdout
    assert "read" in listing and out[-1] not in listing


def test_demo_serves_a_seeded_store(workdir):
    port = free_port()
    process = subprocess.Popen([BIN, "demo", "--port", str(port), "--db", os.path.join(workdir, "demo.db"), "--contacts", "600", "--days", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        banner = ""
        deadline = time.time() + 180
        while "Press Ctrl-C" not in banner and time.time() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            banner += line
        admin = re.search(r"Admin key\s+(trk_\S+)", banner).group(1)
        write = re.search(r"Write key\s+(trk_\S+)", banner).group(1)
        assert f"http://127.0.0.1:{port}" in banner
        base = f"http://127.0.0.1:{port}"
        headers = {"Authorization": f"Bearer {admin}"}
        page = requests.get(base + "/api/v1/contacts", params={"limit": 500}, headers=headers).json()
        assert len(page["items"]) == 500 and page["next"]
        identified = [c for c in page["items"] if c["email"]]
        assert len(identified) > 300 and any(c["accountId"] for c in identified)
        contact = identified[0]
        events = requests.get(f"{base}/api/v1/contacts/{contact['id']}/timeline", headers=headers).json()["items"]
        assert {e["type"] for e in events} >= {"page", "identify", "track"}
        assert requests.get(base + "/f/ebook-crm-migration").status_code == 200
        assert requests.post(base + "/v1/track", auth=(write, ""), json={"userId": "demo-user", "event": "Pricing Viewed"}).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)


def test_workflow_validate_reports_file_and_line(workdir):
    examples = os.path.join(ROOT, "examples", "workflows")
    ok = trellis("workflow", "validate", examples)
    assert "workflows valid" in ok.stdout and "content-download-to-mql" in ok.stdout
    bad = os.path.join(workdir, "bad.yaml")
    with open(bad, "w") as f:
        f.write("workflow: w\ntrigger:\n  event: X\nsteps:\n  - send: { email: a }\n  - wait: 3\n")
    result = trellis("workflow", "validate", bad, check=False)
    assert result.returncode == 1
    assert f"{bad}:6: steps[1].wait" in result.stderr and "needs a unit" in result.stderr
    loop = os.path.join(workdir, "loop.yaml")
    with open(loop, "w") as f:
        f.write("workflow: loop\ntrigger:\n  inactive: 60d\nsteps:\n  - id: ask\n    send: { email: a }\n  - goto: ask\n  - goto: gone\n")
    result = trellis("workflow", "validate", loop, check=False)
    assert result.returncode == 1
    assert f"{loop}:7: steps[1].goto" in result.stderr and "no wait" in result.stderr
    assert f"{loop}:8: steps[2]" in result.stderr and "no step has that id" in result.stderr


def test_simulate_prints_the_timeline_as_json_and_synthetic_counts(workdir):
    import json
    workflows = os.path.join(ROOT, "examples", "workflows")
    out = trellis("simulate", workflows, "--scenario", os.path.join(ROOT, "examples", "scenarios", "content-download.yaml"), "--json").stdout
    result = json.loads(out)
    maria = result["contacts"]["maria"]
    assert {"at", "workflow", "step", "action", "detail"} <= set(maria[0])
    sends = [(e["at"], e["detail"]) for e in maria if e["action"] == "send" and e["workflow"] == "content-download-to-mql"]
    assert sends == [("2026-01-05T09:00:00.000Z", "email ebook-thank-you"), ("2026-01-08T09:00:00.000Z", "email migration-pitfalls"),
                     ("2026-01-10T11:00:00.000Z", "email demo-offer")]
    assert result["steps"]["content-download-to-mql"]["demo-offer"]["send"] == 1
    synthetic = trellis("simulate", workflows, "--synthetic", "2000", "--days", "30").stdout
    assert "2000 synthetic leads over 30 days" in synthetic and "entered" in synthetic and "exits:" in synthetic
    neither = trellis("simulate", workflows, check=False)
    assert neither.returncode != 0 and "either --scenario FILE or --synthetic N" in neither.stderr


def test_keys_created_by_the_cli_are_in_the_audit_log(server):
    """`trellis keys create` writes the audit log (actor cli); only admin keys read it."""
    items = server.api.get(server.url + "/api/v1/audit").json()["items"]
    created = [item for item in items if item["actor"] == "cli" and item["method"] == "CREATE"]
    assert [item["path"].split("(")[1].split(",")[0] for item in created] == ["write", "admin"]
    response = requests.get(server.url + "/api/v1/audit", headers={"Authorization": f"Bearer {server.write_key}"})
    assert response.status_code == 403
    # Revoked from the CLI while the server runs: listed no more, and in the audit log.
    write_id = next(key["id"] for key in server.api.get(server.url + "/api/v1/keys").json()["items"] if key["role"] == "write")
    assert "Revoked write key" in trellis("keys", "revoke", "--db", server.db, write_id).stdout
    assert all(key["role"] != "write" for key in server.api.get(server.url + "/api/v1/keys").json()["items"])
    assert [item["method"] for item in server.api.get(server.url + "/api/v1/audit").json()["items"]][0] == "REVOKE"
    assert trellis("keys", "revoke", "--db", server.db, write_id, check=False).returncode != 0


def test_an_erased_contact_is_not_brought_back_by_an_import(workdir):
    """GDPR erasure through the API of a real server; the same CSV imported again leaves the
    erased address out and says so, and nothing readable of the address is left in the file."""
    from conftest import Server, create_key
    db = os.path.join(workdir, "gdpr.db")
    trellis("import", "contacts", "--db", db, os.path.join(EXAMPLES, "hubspot-contacts.csv"))
    admin = create_key(db, "admin")
    server = Server(db).start()
    try:
        headers = {"Authorization": f"Bearer {admin}"}
        ada = requests.get(server.url + "/api/v1/contacts", params={"email": "ada@analytical.example"}, headers=headers).json()["items"][0]
        export = requests.get(f"{server.url}/api/v1/contacts/{ada['id']}/export", headers=headers).json()
        assert export["contact"]["traits"]["phone"] == "+44 20 7946 0018"
        receipt = requests.post(f"{server.url}/api/v1/contacts/{ada['id']}/erase", headers=headers).json()
        assert receipt["erased"] is True and receipt["addressesSuppressed"] == 1
    finally:
        server.stop()
    again = trellis("import", "contacts", "--db", db, os.path.join(EXAMPLES, "hubspot-contacts.csv"))
    assert "1 not imported: erased on request (GDPR)" in again.stdout
    exported = trellis("export", "contacts", "--db", db).stdout
    assert "ada@analytical.example" not in exported.lower() and "Grace" in exported
    subprocess.run(["sqlite3", db, "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;"], check=True, capture_output=True)
    with open(db, "rb") as f:
        assert b"ada@analytical.example" not in f.read().lower()
