"""Trellis's MIME and DKIM read by tools no one here wrote: Python's email parser, and dkimpy
verifying ed25519-sha256 and rsa-sha256 signatures against keys made with openssl."""
import base64
import email
import email.policy
import os
import subprocess

import dkim

from conftest import BIN, ROOT


def sample(*args):
    """The sample message as raw bytes (text mode would turn CRLF into LF)."""
    return subprocess.run([BIN, "mail", "sample", *args], capture_output=True, check=True, cwd=ROOT).stdout


def public_record(pem_path, algorithm):
    der = subprocess.run(["openssl", "pkey", "-in", pem_path, "-pubout", "-outform", "DER"], capture_output=True, check=True).stdout
    if algorithm == "ed25519":
        return f"v=DKIM1; k=ed25519; p={base64.b64encode(der[-32:]).decode()}".encode()
    return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}".encode()


def make_key(workdir, algorithm):
    path = os.path.join(workdir, f"{algorithm}.pem")
    command = ["openssl", "genpkey", "-algorithm", "ed25519"] if algorithm == "ed25519" else ["openssl", "genrsa", "2048"]
    pem = subprocess.run(command, capture_output=True, check=True).stdout
    with open(path, "wb") as f:
        f.write(pem)
    return path


def test_dkim_signatures_verify_with_dkimpy(workdir):
    for algorithm in ("ed25519", "rsa"):
        key = make_key(workdir, algorithm)
        record = public_record(key, algorithm)
        message = sample("--dkim-key", key, "--dkim-algorithm", algorithm, "--dkim-selector", "s1")
        assert b"\n" not in message.replace(b"\r\n", b"")

        def dns(name, timeout=5):
            assert name == b"s1._domainkey.acme.example."
            return record

        assert dkim.verify(message, dnsfunc=dns), f"{algorithm}: dkimpy rejects the signature"
        tampered = message.replace(b"To: ada@example.com", b"To: eve@example.com")
        assert not dkim.verify(tampered, dnsfunc=dns), f"{algorithm}: a changed header still verifies"


def test_the_message_parses_as_multipart_alternative(workdir):
    raw = sample("--to", "Zoë Müller <zoe@example.com>")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "Ihr Leitfaden zur CRM-Migration – 5 Fallstricke"
    assert message["To"].addresses[0].display_name == "Zoë Müller"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Hello Zoë," in text and "<b>five pitfalls</b>" in html


def test_a_signed_message_goes_over_smtp_to_a_real_server(workdir):
    from aiosmtpd.controller import Controller
    from conftest import Sink, free_port

    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        key = make_key(workdir, "ed25519")
        out = subprocess.run([BIN, "mail", "sample", "--to", "Ada <ada@example.com>", "--dkim-key", key, "--dkim-selector", "s1",
                              "--smtp", f"smtp://127.0.0.1:{port}?tls=none"], capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == 0, out.stderr
        assert "250 2.0.0 queued" in out.stdout
    finally:
        controller.stop()
    assert len(sink.envelopes) == 1
    envelope = sink.envelopes[0]
    assert envelope.mail_from == "hello@acme.example" and envelope.rcpt_tos == ["ada@example.com"]
    raw = envelope.original_content
    record = public_record(key, "ed25519")
    assert dkim.verify(raw, dnsfunc=lambda name, timeout=5: record), "the message as received verifies"
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == "Ihr Leitfaden zur CRM-Migration – 5 Fallstricke"


def test_an_unreachable_server_is_a_clear_error(workdir):
    from conftest import free_port
    out = subprocess.run([BIN, "mail", "sample", "--smtp", f"smtp://127.0.0.1:{free_port()}?tls=none"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode != 0 and "127.0.0.1" in out.stderr
