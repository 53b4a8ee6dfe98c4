"""kill -9 of the server while workflows are enrolling and sending: after restarts, every
acknowledged trigger has exactly one run and exactly one of each send, none missing."""
import os
import random
import sqlite3
import threading
import time

import requests

from conftest import Server, create_key, trellis

WORKFLOW = """workflow: crash-welcome
trigger:
  event: Trial Started
steps:
  - send: { email: welcome }
  - send: { email: setup-guide }
  - update: { traits: { onboarding: started } }
"""


def flood(url, key, thread, acknowledged, stop):
    session = requests.Session()
    session.auth = (key, "")
    n = 0
    while not stop.is_set():
        users = [f"u-{thread}-{n}-{i}-{random.random()}" for i in range(20)]
        body = {"batch": [{"type": "track", "userId": user, "event": "Trial Started", "messageId": user} for user in users]}
        try:
            response = session.post(url + "/v1/batch", json=body, timeout=5)
        except requests.RequestException:
            return
        if response.status_code == 200:
            acknowledged.extend(users)
        n += 1


def sends_by_user(db):
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute(
            """SELECT i.value, a.detail, count(*) FROM workflow_actions a
               JOIN identities i ON i.contact_id = a.contact_id AND i.kind = 'user'
               WHERE a.kind = 'send' GROUP BY i.value, a.detail""").fetchall()
        runs = connection.execute("SELECT contact_id, count(*) FROM workflow_runs GROUP BY contact_id HAVING count(*) > 1").fetchall()
    finally:
        connection.close()
    result = {}
    for user, detail, count in rows:
        result.setdefault(user, {})[detail] = count
    return result, runs


def test_kill_9_during_workflow_sends_neither_doubles_nor_drops(workdir):
    folder = os.path.join(workdir, "workflows")
    os.makedirs(folder)
    with open(os.path.join(folder, "welcome.yaml"), "w") as f:
        f.write(WORKFLOW)
    db = os.path.join(workdir, "wf.db")
    trellis("migrate", "--db", db)
    key = create_key(db, "write")
    acknowledged = []
    port = None
    for _ in range(3):
        server = Server(db, port=port, extra=("--workflows", folder)).start()
        port = server.port
        stop = threading.Event()
        threads = [threading.Thread(target=flood, args=(server.url, key, t, acknowledged, stop)) for t in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(random.uniform(1.0, 2.0))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join()
    assert len(acknowledged) > 100
    # The last start catches up from the cursor by itself.
    server = Server(db, port=port, extra=("--workflows", folder)).start()
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            sends, duplicated_runs = sends_by_user(db)
            if all(len(sends.get(user, {})) == 2 for user in acknowledged):
                break
            time.sleep(0.5)
    finally:
        server.stop()
    sends, duplicated_runs = sends_by_user(db)
    assert duplicated_runs == []
    missing = [user for user in acknowledged if sends.get(user) != {"email welcome": 1, "email setup-guide": 1}]
    assert missing == [], f"{len(missing)} of {len(acknowledged)} users lack a send or got one twice: {missing[:3]}"
