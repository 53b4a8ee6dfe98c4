"""The qualify stage in a real `trellis serve`: events sent with Segment's own library move a lead
into a segment, score it and make it an MQL within a second; bad rule files stop the start."""
import os
import time

import segment.analytics as analytics

from conftest import ROOT, Server, create_key, trellis, wait_for

SEGMENTS = os.path.join(ROOT, "examples", "segments")
SCORING = os.path.join(ROOT, "examples", "scoring", "default.yaml")


def test_segment_library_events_qualify_a_lead_live(workdir):
    db = os.path.join(workdir, "q.db")
    trellis("migrate", "--db", db)
    admin = create_key(db, "admin")
    write = create_key(db, "write", source="python")
    server = Server(db, extra=("--segments", SEGMENTS, "--scoring", SCORING)).start()
    try:
        client = analytics.Client(write, host=server.url, sync_mode=True)
        client.identify("lin-1", {"email": "lin@bigco.example", "title": "VP Marketing", "company_size": 800,
                                  "industry": "Software", "country": "DE"})
        sent = time.time()
        for _ in range(3):
            client.page("lin-1", name="Pricing", properties={"path": "/pricing"})
        client.track("lin-1", "Demo Requested", {"product": "Trellis"})
        client.flush()
        headers = {"Authorization": f"Bearer {admin}"}
        import requests
        contact = requests.get(server.url + "/api/v1/contacts", params={"userId": "lin-1"}, headers=headers).json()["items"][0]

        def in_segment():
            items = requests.get(f"{server.url}/api/v1/contacts/{contact['id']}/segments", headers=headers).json()["items"]
            return next((i for i in items if i["segment"] == "pricing-intent" and i["member"]), None)

        membership = wait_for(in_segment)
        assert time.time() - sent < 2.0
        assert any("Page Viewed" in line["text"] for line in membership["why"])
        score = requests.get(f"{server.url}/api/v1/contacts/{contact['id']}/score", headers=headers).json()
        assert score["grade"] == "A" and score["fit"] == 50
        assert any(reason["text"].startswith("Requested a demo") for reason in score["reasons"])
        stage = requests.get(f"{server.url}/api/v1/contacts/{contact['id']}", headers=headers).json()["stage"]
        assert stage == "mql"
        timeline = requests.get(f"{server.url}/api/v1/contacts/{contact['id']}/timeline", headers=headers).json()["items"]
        names = [event["event"] for event in timeline]
        assert "Segment Entered" in names and "Lifecycle Stage Changed" in names
        metrics = requests.get(server.url + "/metrics").text
        assert "trellis_qualify_lag_seconds_bucket" in metrics
    finally:
        server.stop()


def test_a_bad_rule_file_stops_the_start_with_file_and_line(workdir):
    folder = os.path.join(workdir, "segments")
    os.makedirs(folder)
    with open(os.path.join(folder, "bad.yaml"), "w") as f:
        f.write("name: bad\nmatch:\n  all:\n    - trait: country\n      eq: DE\n    - event: Page Viewed\n      within: fortnight\n")
    db = os.path.join(workdir, "bad.db")
    result = trellis("serve", "--db", db, "--port", "0", "--segments", folder, check=False, timeout=30)
    assert result.returncode != 0
    assert "bad.yaml:7: match.all[1].within" in result.stderr, result.stderr
