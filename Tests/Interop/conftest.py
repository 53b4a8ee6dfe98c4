"""Fixtures for interop tests: a real `trellis serve` on a free port over a temporary store."""
import os
import socket
import subprocess
import tempfile
import time

import pytest
import requests

BIN = os.environ.get("TRELLIS_BIN", os.path.join(os.path.dirname(__file__), "..", "..", ".build", "debug", "trellis"))
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trellis(*args, check=True, **kwargs):
    """Runs the trellis CLI; returns the CompletedProcess."""
    result = subprocess.run([BIN, *args], capture_output=True, text=True, cwd=ROOT, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(f"trellis {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def wait_for(check, timeout=15.0):
    """Polls `check` until it returns something true; returns that."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out")


class Sink:
    """An aiosmtpd handler that keeps every envelope it receives."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 2.0.0 queued"


def server_tls_context(workdir):
    """A self-signed certificate for 127.0.0.1 and a server context with it; returns (context, cert path)."""
    import ssl
    cert, key = os.path.join(workdir, "cert.pem"), os.path.join(workdir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context, cert


def guide_workflow(workdir):
    """A workflows folder with one workflow: the ebook form's consented leads get the thank-you email."""
    workflows = os.path.join(workdir, "workflows")
    os.makedirs(workflows)
    with open(os.path.join(workflows, "guide.yaml"), "w") as f:
        f.write("workflow: guide\ntrigger: { event: Ebook Downloaded }\nentry: { require: { consented: email } }\n"
                "steps:\n  - send: { email: ebook-thank-you }\n")
    return workflows


SENDER = '{ from: "Acme <hello@acme.example>", postal_address: "Acme Inc., 1 Main St, Springfield, IL 62701, USA" }'


def write_config(workdir, port, smtp_port, **settings):
    """Writes WORKDIR/trellis.yaml for a server on `port` that sends as Acme over plain SMTP to
    `smtp_port`, with `settings` (key=YAML text, in order) after; returns its path."""
    lines = [f"base_url: http://127.0.0.1:{port}", f"sender: {SENDER}", f"smtp: smtp://127.0.0.1:{smtp_port}?tls=none"]
    lines += [f"{key}: {value}" for key, value in settings.items()]
    path = os.path.join(workdir, "trellis.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def create_key(db, role, source="default"):
    out = trellis("keys", "create", "--db", db, "--role", role, "--source", source).stdout
    return out.strip().splitlines()[-1]


class Process:
    """A trellis process (`serve`, `work`, …) with its output in a log file; kill() is SIGKILL."""

    def __init__(self, log_path, *args):
        self.log_path, self.args = log_path, args
        self.process = None
        self.log = None

    def start(self):
        self.log = open(self.log_path, "a")
        self.process = subprocess.Popen([BIN, *self.args], stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        return self

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        self.process.kill()
        self.process.wait()

    def stop(self):
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_healthy(url, process, timeout=30):
    """Waits until GET /health answers 200; fails early if the process exits."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not process.alive():
            raise AssertionError(f"trellis exited with {process.process.returncode}; see {process.log_path}")
        try:
            if requests.get(url + "/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"the server did not become healthy; see {process.log_path}")


class Server(Process):
    """A `trellis serve` process, its log beside the database. start() waits for /health."""

    def __init__(self, db, port=None, extra=()):
        self.db, self.port, self.extra = db, port or free_port(), extra
        self.url = f"http://127.0.0.1:{self.port}"
        super().__init__(db + ".log", "serve", "--db", db, "--port", str(self.port), *extra)

    def start(self, timeout=30):
        super().start()
        wait_healthy(self.url, self, timeout)
        return self


@pytest.fixture
def workdir():
    with tempfile.TemporaryDirectory(prefix="trellis-interop-") as path:
        yield path


@pytest.fixture
def server(workdir):
    """A fresh server with an admin key and a write key."""
    db = os.path.join(workdir, "trellis.db")
    trellis("migrate", "--db", db)
    admin = create_key(db, "admin")
    write = create_key(db, "write", source="python")
    srv = Server(db, extra=("--forms", os.path.join(ROOT, "examples", "forms"))).start()
    srv.admin_key, srv.write_key = admin, write
    srv.api = requests.Session()
    srv.api.headers["Authorization"] = f"Bearer {admin}"
    yield srv
    srv.stop()
