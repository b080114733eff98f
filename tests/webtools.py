"""Helpers of the web tests: start a newsclass server in a subprocess, on a free port."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.clitools import newsclass

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_5c64d9000366f065.txt"


class Server:
    """``newsclass review|serve ... --port 0`` running until :meth:`stop`."""

    def __init__(self, *args: str, cwd: Path | None = None, env: dict | None = None) -> None:
        environ = {k: v for k, v in os.environ.items() if k != "NEWSCLASS_TOKEN"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "newsclass", *map(str, args), "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
            env={**environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        line = self.proc.stdout.readline().decode()
        match = re.search(r"(http://[^\s/]+)(/\?token=(\S+))?", line)
        if match is None:
            self.stop()
            raise AssertionError(f"no URL announced: {line!r} "
                                 f"{self.proc.stderr.read().decode()[-2000:]}")
        self.base, self.token = match.group(1), match.group(3)
        self.url = match.group(0)

    def request(self, path: str, data: bytes | dict | list | None = None,
                headers: dict | None = None, method: str | None = None
                ) -> tuple[int, bytes]:
        if data is not None and not isinstance(data, bytes):
            data = json.dumps(data, ensure_ascii=False).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json",
                                              **(headers or {})})
        try:
            with urllib.request.urlopen(req, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def json(self, path: str, data=None, **kw) -> tuple[int, object]:
        status, body = self.request(path, data, **kw)
        return status, json.loads(body)

    def stop(self, sig: int | None = None) -> None:
        if self.proc.poll() is None:
            if sig is None:
                self.proc.terminate()
            else:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr_text = self.proc.stderr.read().decode(errors="replace")
        self.proc.stdout.close()
        self.proc.stderr.close()


def label(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``newsclass label`` in this process (checked)."""
    return newsclass("label", *args, cwd=cwd)


def wait_for(check, timeout: float = 10.0):
    """Poll `check` until it returns something true."""
    end = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > end:
            return value
        time.sleep(0.05)
