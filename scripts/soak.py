"""The soak run by scripts/soak: see there and docs/operations.md.

Load, all at once for the whole run:
- tracking: 4 threads sending /v1/batch (20 events each, 200 visitors) at a steady total rate;
- forms: one thread submitting the ebook form (a new consented lead each time) about twice a
  second; each lead enters the guide workflow, which sends the thank-you email;
- reads: one thread listing contacts and reading timelines.
One `trellis serve --api-only` and two `trellis work` processes share the PostgreSQL database;
the workers send to an SMTP sink in this process.

Every 30 s it prints: requests and p50/p99 latency of each kind in the window, errors, the
resident memory of each process, events stored and emails received. At the end it stops the
load, waits for the queue to drain, and checks: every acknowledged event is stored once, every
lead got its email (duplicates counted), each process's memory at the end is within 10 % of its
level after warm-up (the first sixth of the run), and the last window's tracking p99 is within
twice the p99 after warm-up (or under 100 ms).
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests
from aiosmtpd.controller import Controller

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
os.environ.setdefault("TRELLIS_BIN", os.path.join(ROOT, ".build", "release", "trellis"))
sys.path.insert(0, os.path.join(ROOT, "Tests", "Interop"))
from conftest import Process, Sink, create_key, free_port, guide_workflow, trellis, wait_healthy, write_config  # noqa: E402


def recipients(sink):
    return [address for envelope in list(sink.envelopes) for address in envelope.rcpt_tos]


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return float("nan")
    return float("nan")


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Window:
    """Latencies and outcomes of one kind of request, per reporting window."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies, self.errors = [], 0

    def add(self, seconds, ok):
        with self.lock:
            self.latencies.append(seconds)
            if not ok:
                self.errors += 1

    def take(self):
        with self.lock:
            latencies, errors = self.latencies, self.errors
            self.latencies, self.errors = [], 0
        return latencies, errors


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--db", help="an empty PostgreSQL database (default: a throwaway cluster)")
    parser.add_argument("--events-per-second", type=int, default=400)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="trellis-soak-")
    cluster = None
    db = args.db
    if not db:
        cluster = tempfile.mkdtemp(prefix="trellis-soak-pg-")
        env = dict(os.environ, TRELLIS_PG_FSYNC="on")  # the disk counts in these figures
        admin = subprocess.run([os.path.join(ROOT, "scripts", "postgres-cluster"), "start", cluster, str(free_port())], check=True,
                               capture_output=True, text=True, env=env).stdout.strip()
        subprocess.run(["psql", admin, "-qc", "CREATE DATABASE soak"], check=True)
        db = admin.rsplit("/", 1)[0] + "/soak"
    processes = []
    sink = Sink()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        trellis("migrate", "--db", db)
        key, admin_key = create_key(db, "write"), create_key(db, "admin")
        port = free_port()
        config = write_config(work, port, smtp_port, smtp_limits="{ connections: 2, timeout: 10s, first_retry: 5s }", workflows=guide_workflow(work),
                              content=f"{ROOT}/examples/content", forms=f"{ROOT}/examples/forms", segments=f"{ROOT}/examples/segments",
                              scoring=f"{ROOT}/examples/scoring/default.yaml", rate_limits="{ forms: off, tracking: off }")

        def start(name, *command):
            process = Process(os.path.join(work, name + ".log"), *command).start()
            processes.append((name, process))
            return process

        api = start("api", "serve", "--api-only", "--db", db, "--port", str(port), "--config", config)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, api, timeout=60)
        for n in range(2):
            start(f"work{n}", "work", "--db", db, "--config", config)

        stop = threading.Event()
        windows = {"track": Window(), "form": Window(), "read": Window()}
        acknowledged, leads = [], []
        ack_lock = threading.Lock()

        def tracking(worker):
            session = requests.Session()
            interval = 20 / (args.events_per_second / 4)
            n = 0
            next_at = time.time()
            while not stop.is_set():
                ids = [f"{worker}-{n}-{m}-{uuid.uuid4().hex[:8]}" for m in range(20)]
                batch = {"batch": [{"type": "track", "messageId": i, "userId": f"visitor-{random.randrange(200)}",
                                    "event": random.choice(["Page Load", "Pricing Viewed", "Docs Read"]), "properties": {"n": n}} for i in ids]}
                began = time.time()
                try:
                    ok = session.post(url + "/v1/batch", json=batch, auth=(key, ""), timeout=30).status_code == 200
                except requests.RequestException:
                    ok = False
                windows["track"].add(time.time() - began, ok)
                if ok:
                    with ack_lock:
                        acknowledged.extend(ids)
                n += 1
                next_at += interval
                time.sleep(max(0, next_at - time.time()))

        def forms():
            # No session: each lead is a new visitor (a shared cookie would make them one person).
            n = 0
            while not stop.is_set():
                address = f"lead{n}-{uuid.uuid4().hex[:6]}@example.com"
                form = {"_fields": "email,firstName", "_submission": uuid.uuid4().hex, "email": address, "firstName": f"L{n}", "consent": "on",
                        "hp_website": ""}
                began = time.time()
                try:
                    ok = requests.post(url + "/f/ebook-crm-migration", data=form, timeout=30).status_code == 200
                except requests.RequestException:
                    ok = False
                windows["form"].add(time.time() - began, ok)
                if ok:
                    leads.append(address)
                n += 1
                time.sleep(0.5)

        def reads():
            session = requests.Session()
            headers = {"Authorization": f"Bearer {admin_key}"}
            while not stop.is_set():
                began = time.time()
                try:
                    page = session.get(url + "/api/v1/contacts?limit=20", headers=headers, timeout=30)
                    ok = page.status_code == 200
                    items = page.json().get("items", []) if ok else []
                    if items:
                        ok = session.get(url + f"/api/v1/contacts/{random.choice(items)['id']}/timeline?limit=20", headers=headers,
                                         timeout=30).status_code == 200
                except requests.RequestException:
                    ok = False
                windows["read"].add(time.time() - began, ok)
                time.sleep(0.2)

        threads = [threading.Thread(target=tracking, args=(w,)) for w in range(4)] + [threading.Thread(target=forms), threading.Thread(target=reads)]
        for thread in threads:
            thread.start()
        started = time.time()
        total = args.minutes * 60
        warmup = total / 6
        samples = []
        print(f"soak: {args.minutes:g} min on {db.split('@')[-1]}, api pid {processes[0][1].process.pid}, workers "
              f"{processes[1][1].process.pid} {processes[2][1].process.pid}; logs in {work}")
        print(f"{'min':>5} {'track/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'forms':>6} {'form p99':>9} {'reads':>6} {'read p99':>9} {'errors':>6} "
              f"{'api MiB':>8} {'work0':>6} {'work1':>6} {'emails':>7}")
        while time.time() - started < total:
            time.sleep(30)
            elapsed = time.time() - started
            track, track_errors = windows["track"].take()
            form, form_errors = windows["form"].take()
            read, read_errors = windows["read"].take()
            rss = [rss_mib(p.process.pid) for _, p in processes]
            sample = {"t": elapsed, "track_p99": percentile(track, 0.99) * 1000, "rss": rss}
            samples.append(sample)
            print(f"{elapsed / 60:5.1f} {len(track) * 20 / 30:8.0f} {percentile(track, 0.5) * 1000:7.1f} {sample['track_p99']:7.1f} {len(form):6d} "
                  f"{percentile(form, 0.99) * 1000:9.1f} {len(read):6d} {percentile(read, 0.99) * 1000:9.1f} "
                  f"{track_errors + form_errors + read_errors:6d} {rss[0]:8.1f} {rss[1]:6.1f} {rss[2]:6.1f} {len(recipients(sink)):7d}", flush=True)
            for name, process in processes:
                if not process.alive():
                    raise SystemExit(f"{name} exited with {process.process.returncode}; see {work}/{name}.log")
        stop.set()
        for thread in threads:
            thread.join()

        # Drain: every lead's email out.
        deadline = time.time() + 300
        while len(set(recipients(sink)) & set(leads)) < len(leads) and time.time() < deadline:
            time.sleep(1)
        query = lambda sql: subprocess.run(["psql", db, "-Atc", sql], check=True, capture_output=True, text=True).stdout.strip()
        stored = int(query("SELECT count(*) FROM events WHERE source <> 'forms' AND type = 'track' AND name IN ('Page Load', 'Pricing Viewed', 'Docs Read')"))
        distinct = int(query("SELECT count(DISTINCT message_id) FROM events WHERE type = 'track' AND name IN ('Page Load', 'Pricing Viewed', 'Docs Read')"))
        lost_events = len(set(acknowledged)) - distinct
        received = [r for r in recipients(sink) if r in set(leads)]
        lost_mail = len(set(leads) - set(received))
        duplicate_mail = len(received) - len(set(received))

        print("store: " + query("SELECT 'events ' || (SELECT count(*) FROM events) || ', max seq ' || (SELECT max(seq) FROM events) || "
                                "', qualify cursor ' || (SELECT last_seq FROM qualify_cursor) || ', workflow cursor ' || (SELECT last_seq FROM workflow_cursor) || "
                                "', runs ' || (SELECT count(*) FROM workflow_runs) || ', sends ' || (SELECT count(*) FROM email_sends) || "
                                "', sent ' || (SELECT count(*) FROM email_sends WHERE status = 'sent')"))
        after_warmup = next(s for s in samples if s["t"] >= warmup)
        last = samples[-1]
        growth = [(last["rss"][i] - after_warmup["rss"][i]) / after_warmup["rss"][i] * 100 for i in range(3)]
        p99_ok = last["track_p99"] <= max(100.0, 2 * after_warmup["track_p99"])
        print(f"\nacknowledged events {len(set(acknowledged))}, stored {stored} (distinct {distinct}), lost {lost_events}; "
              f"leads {len(leads)}, emails received {len(received)}, duplicates {duplicate_mail}, lost {lost_mail}")
        print("memory after warm-up (min {:.1f}) → end: ".format(after_warmup["t"] / 60) + ", ".join(
            f"{name} {after_warmup['rss'][i]:.1f} → {last['rss'][i]:.1f} MiB ({growth[i]:+.1f} %)" for i, (name, _) in enumerate(processes)))
        print(f"tracking p99 after warm-up {after_warmup['track_p99']:.1f} ms, last window {last['track_p99']:.1f} ms")
        failures = []
        if lost_events or stored != distinct:
            failures.append("events lost or doubled")
        if lost_mail:
            failures.append("emails lost")
        if any(g > 10 for g in growth):
            failures.append("memory grew more than 10 % after warm-up")
        if not p99_ok:
            failures.append("tracking p99 drifted")
        print("soak: " + ("PASSED" if not failures else "FAILED: " + "; ".join(failures)))
        return 1 if failures else 0
    finally:
        for _, process in processes:
            process.stop()
        controller.stop()
        if cluster:
            subprocess.run([os.path.join(ROOT, "scripts", "postgres-cluster"), "stop", cluster], capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
