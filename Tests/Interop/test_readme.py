"""Every shell example under the README's "Try it" section runs as written against `trellis demo`."""
import os
import re
import signal
import subprocess
import time

from conftest import BIN, ROOT, free_port


def readme_examples():
    text = open(os.path.join(ROOT, "README.md")).read()
    section = text.split("## Try it", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, re.S)


def test_readme_curl_examples_work_as_written(workdir):
    examples = readme_examples()
    assert len(examples) >= 4
    port = free_port()
    demo = subprocess.Popen([BIN, "demo", "--port", str(port), "--db", os.path.join(workdir, "demo.db"), "--contacts", "300", "--days", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        exports = None
        deadline = time.time() + 90
        while exports is None and time.time() < deadline:
            line = demo.stdout.readline()
            if not line:
                break
            if line.startswith("export TRELLIS="):
                exports = line.strip()
        assert exports, "the demo prints an export line for the README examples"
        for example in examples:
            result = subprocess.run(["bash", "-euo", "pipefail", "-c", exports + "\n" + example],
                                    capture_output=True, text=True, cwd=ROOT, timeout=60)
            assert result.returncode == 0, f"README example failed:\n{example}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            assert result.stdout.strip(), f"README example printed nothing:\n{example}"
    finally:
        demo.send_signal(signal.SIGINT)
        demo.wait(timeout=15)
