"""Trellis on PostgreSQL, with real processes: a server restart of PostgreSQL under load, and a
worker killed with SIGKILL while it sends. Each test starts its own throwaway PostgreSQL cluster
(scripts/postgres-cluster) and prints its counts."""
import os
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
import requests
from aiosmtpd.controller import Controller

from conftest import ROOT, Process, free_port, guide_workflow, trellis, wait_for, wait_healthy, write_config
from test_faults import SlowSink

CLUSTER = os.path.join(ROOT, "scripts", "postgres-cluster")


class Cluster:
    """A PostgreSQL cluster of its own on a free port; restart() stops and starts the server."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        started = subprocess.run([CLUSTER, "start", directory, str(self.port)], capture_output=True, text=True)
        assert started.returncode == 0, f"cannot start PostgreSQL: {started.stderr}"
        self.admin = started.stdout.strip()

    def database(self):
        name = "t_" + uuid.uuid4().hex
        subprocess.run(["psql", self.admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)
        return self.admin.rsplit("/", 1)[0] + "/" + name

    def query(self, url, sql):
        return subprocess.run(["psql", url, "-Atc", sql], check=True, capture_output=True, text=True).stdout.strip()

    def pg_ctl(self, *args):
        bindir = sorted(os.listdir("/usr/lib/postgresql"), key=lambda v: [int(p) for p in v.split(".")])[-1]
        command = [f"/usr/lib/postgresql/{bindir}/bin/pg_ctl", "-D", os.path.join(self.directory, "data"), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--"] + command
        subprocess.run(command, check=True, capture_output=True)

    def stop_server(self):
        self.pg_ctl("-m", "fast", "-w", "stop")

    def start_server(self):
        self.pg_ctl("-l", os.path.join(self.directory, "server.log"), "-w", "start",
                    "-o", f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='{self.directory}' -c max_connections=400 -c fsync=off")

    def remove(self):
        subprocess.run([CLUSTER, "stop", self.directory], capture_output=True)


@pytest.fixture
def cluster():
    # Its own folder under /tmp: the server runs as the postgres user when the tests run as root,
    # and cannot enter the test's private work folder.
    directory = tempfile.mkdtemp(prefix="trellis-pg-")
    cluster = Cluster(directory)
    yield cluster
    cluster.remove()


def trellis_process(workdir, name, *args):
    """A trellis process whose log is NAME.log in the work folder."""
    return Process(os.path.join(workdir, name + ".log"), *args)


def test_postgres_restarted_under_load_the_server_answers_503_then_resumes_by_itself(workdir, cluster):
    db = cluster.database()
    trellis("migrate", "--db", db)
    key = trellis("keys", "create", "--db", db, "--role", "write").stdout.strip().splitlines()[-1]
    port = free_port()
    env_limits = {"TRELLIS_RATE_LIMITS_TRACKING": "off"}
    server = trellis_process(workdir, "serve", "serve", "--db", db, "--port", str(port))
    os.environ.update(env_limits)
    server.start()
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, server)
        acknowledged, statuses, stop = [], {}, threading.Event()

        def load(worker):
            session = requests.Session()
            batch_number = 0
            while not stop.is_set():
                ids = [f"w{worker}-b{batch_number}-m{n}" for n in range(20)]
                batch = {"batch": [{"type": "track", "messageId": i, "userId": f"user-{worker}-{n % 7}", "event": "Page Load"} for n, i in enumerate(ids)]}
                try:
                    status = session.post(url + "/v1/batch", json=batch, auth=(key, ""), timeout=30).status_code
                except requests.RequestException:
                    status = "connection error"
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    acknowledged.extend(ids)
                batch_number += 1

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        before = len(acknowledged)
        cluster.stop_server()
        outage_started = time.time()
        time.sleep(8)  # longer than the server's 5 s wait for a connection
        during = dict(statuses)
        cluster.start_server()
        outage = time.time() - outage_started
        try:
            wait_for(lambda: len(acknowledged) > before + 200, timeout=60)
        except AssertionError:
            raise AssertionError(f"ingest did not resume within 60 s of the restart: {statuses}\n" + "".join(open(server.log_path).readlines()[-40:]))
        recovered_after = time.time() - outage_started - outage
        time.sleep(2)
        stop.set()
        for thread in threads:
            thread.join()
        stored = int(cluster.query(db, "SELECT count(*) FROM events WHERE type = 'track' AND name = 'Page Load'"))
        lost = len(set(acknowledged)) - int(cluster.query(db, "SELECT count(DISTINCT message_id) FROM events WHERE name = 'Page Load'"))
        print(f"\nPostgreSQL restarted under load ({outage:.1f} s away): statuses {statuses}, 503 during the outage {during.get(503, 0)}, "
              f"acknowledged {len(acknowledged)}, stored {stored}, duplicates {stored - len(set(acknowledged))}, lost {lost}, "
              f"ingest resumed {recovered_after:.1f} s after the restart; the server process was never restarted")
        assert server.alive(), "the server crashed"
        assert set(statuses) <= {200, 503}, statuses
        assert during.get(503, 0) > 0
        assert lost == 0 and stored == len(set(acknowledged))
    finally:
        server.stop()
        for name in env_limits:
            os.environ.pop(name, None)


def test_kill_9_of_a_worker_while_sending_another_takes_over_and_nothing_is_lost(workdir, cluster):
    count = 60
    sink = SlowSink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    db = cluster.database()
    trellis("migrate", "--db", db)
    admin = trellis("keys", "create", "--db", db, "--role", "admin").stdout.strip().splitlines()[-1]
    port = free_port()
    config = write_config(workdir, port, smtp_port, smtp_limits="{ connections: 2, timeout: 5s, first_retry: 1s }", workflows=guide_workflow(workdir),
                          content=f"{ROOT}/examples/content", forms=f"{ROOT}/examples/forms", rate_limits="{ forms: off }")
    api = trellis_process(workdir, "api", "serve", "--api-only", "--db", db, "--port", str(port), "--config", config).start()
    workers = [trellis_process(workdir, f"work{n}", "work", "--db", db, "--config", config).start() for n in range(2)]
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {admin}"}
    stats = lambda: requests.get(url + "/api/v1/emails/stats", headers=headers).json()["byStatus"]
    try:
        wait_healthy(url, api)
        for n in range(count):
            form = {"_fields": "email,firstName", "_submission": f"s{n}", "email": f"lead{n}@example.com", "firstName": f"L{n}", "consent": "on",
                    "hp_website": ""}
            assert requests.post(url + "/f/ebook-crm-migration", data=form).status_code == 200
        try:
            wait_for(lambda: len(sink.envelopes) >= 10, timeout=90)
        except AssertionError:
            logs = "".join(f"--- {p.log_path}\n" + "".join(open(p.log_path).readlines()[-15:]) for p in [api, *workers])
            raise AssertionError(f"the workers sent {len(sink.envelopes)} messages in 90 s; sends {stats()}\n{logs}")
        workers[0].kill()  # SIGKILL, mid-stream; its claimed sends come back when their lease ends
        at_kill = len(sink.envelopes)
        try:
            wait_for(lambda: stats().get("sent", 0) == count, timeout=150)
        except AssertionError:
            raise AssertionError(f"sends: {stats()}; received {len(sink.envelopes)}")
        time.sleep(1)
        received = [envelope.rcpt_tos[0] for envelope in sink.envelopes]
        copies = len(received) - len(set(received))
        lost = len({f"lead{n}@example.com" for n in range(count)} - set(received))
        print(f"\nkill -9 of one of two workers ({at_kill} received before the kill): sent {stats().get('sent', 0)}, received {len(received)}, "
              f"duplicates {copies}, lost {lost}; the other worker and the lease took over")
        assert lost == 0
        # At least once: a send in progress at the kill (accepted, not yet recorded) may go again. A
        # worker has twice as many sends in progress as SMTP connections: a connection takes the
        # next send while the last one's outcome is being written, so each can have two accepted
        # and unrecorded (a clean-clone run on 2026-12-01 saw 4 with 2 connections).
        assert copies <= 2 * 2
        assert workers[1].alive() and api.alive()
    finally:
        controller.stop()
        for process in [api, *workers]:
            process.stop()
