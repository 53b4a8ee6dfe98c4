"""kill -9 during a flood of batches: no acknowledged event is lost, no batch is half-stored,
the file is sound, and the next start recovers by itself."""
import os
import random
import sqlite3
import threading
import time

import requests

from conftest import Server, create_key, trellis

THREADS = 8
BATCH = 100


def flood(url, key, thread, acknowledged, stop):
    session = requests.Session()
    session.auth = (key, "")
    n = 0
    while not stop.is_set():
        batch_id = f"t{thread}-b{n}-{os.getpid()}-{random.random()}"
        body = {"batch": [{"type": "track", "userId": f"user-{thread}-{i % 7}", "event": "Flood",
                           "messageId": f"{batch_id}-{i}", "properties": {"i": i}} for i in range(BATCH)]}
        try:
            response = session.post(url + "/v1/batch", json=body, timeout=5)
        except requests.RequestException:
            return  # the server died mid-request: this batch was never acknowledged
        if response.status_code == 200:
            acknowledged.append(batch_id)
        n += 1


def check_store(db, acknowledged):
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = connection.execute("SELECT message_id FROM events WHERE name = 'Flood'").fetchall()
    finally:
        connection.close()
    stored = {}
    for (message_id,) in rows:
        batch_id, _, _ = message_id.rpartition("-")
        stored[batch_id] = stored.get(batch_id, 0) + 1
    missing = [b for b in acknowledged if stored.get(b) != BATCH]
    assert missing == [], f"{len(missing)} acknowledged batches are not fully stored"
    partial = {b: c for b, c in stored.items() if c != BATCH}
    assert partial == {}, f"half-stored batches: {partial}"
    return sum(stored.values())


def test_kill_9_loses_no_acknowledged_event(workdir):
    db = os.path.join(workdir, "crash.db")
    trellis("migrate", "--db", db)
    key = create_key(db, "write")
    acknowledged = []
    port = None
    rounds = 3
    for round_number in range(rounds):
        server = Server(db, port=port).start()
        port = server.port
        stop = threading.Event()
        threads = [threading.Thread(target=flood, args=(server.url, key, t, acknowledged, stop)) for t in range(THREADS)]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(1.0, 2.5))
        server.kill()  # SIGKILL while requests are in flight
        stop.set()
        for thread in threads:
            thread.join()
        total = check_store(db, acknowledged)
        print(f"round {round_number}: {len(acknowledged)} batches acknowledged so far, {total} events stored")
    assert len(acknowledged) > 20, "the flood should have got batches through before each kill"
    # The next start recovers by itself and serves.
    server = Server(db, port=port).start()
    try:
        response = requests.post(server.url + "/v1/track", auth=(key, ""), json={"userId": "after", "event": "Recovered"})
        assert response.status_code == 200
    finally:
        server.stop()
