"""Open a page in headless Chromium over the DevTools protocol (a pipe, no extra package) and
report what a reader would see: every image's load state and every console message.

Chromium started with ``--remote-debugging-pipe`` reads JSON commands from file descriptor 3
and writes replies and events to descriptor 4, each message ended by a NUL byte.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = "Chromium not found; install it (Debian/Ubuntu: `apt-get install chromium`) to run the browser test"

_IMAGES = (
    "JSON.stringify(Array.from(document.images, i => ({alt: i.alt, complete: i.complete,"
    " width: i.naturalWidth, height: i.naturalHeight})))"
)


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if path := shutil.which(name):
            return path
    return None


class _Pipe:
    def __init__(self, proc: subprocess.Popen, write_fd: int, read_fd: int):
        self.proc, self.wfd, self.rfd = proc, write_fd, read_fd
        self.buf = b""
        self.events: list[dict] = []
        self.next_id = 0

    def _read(self, deadline: float) -> dict:
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("Chromium did not answer in time")
            ready, _, _ = select.select([self.rfd], [], [], left)
            if ready:
                chunk = os.read(self.rfd, 1 << 20)
                if not chunk:
                    raise RuntimeError(f"Chromium closed the pipe (exit code {self.proc.poll()})")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60) -> dict:
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.wfd, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        for e in self.events:
            if e.get("method") == method:
                return e
        while True:
            e = self._read(deadline)
            self.events.append(e)
            if e.get("method") == method:
                return e


def open_page(path: Path, timeout: float = 90) -> dict:
    """Load ``path`` (a local HTML file) and return ``{"images": [...], "console": [...]}``: each
    image's alt, complete, width and height, and every console message, uncaught exception and
    browser log entry (level, text)."""
    exe = chromium()
    if exe is None:
        raise RuntimeError(INSTALL_HINT)
    cmd_r, cmd_w = os.pipe()  # we write commands; Chromium reads them on fd 3
    out_r, out_w = os.pipe()  # Chromium writes on fd 4; we read
    # move the child's ends above 4 so the dup2 calls below cannot overwrite one another
    child_r, child_w = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10), fcntl.fcntl(out_w, fcntl.F_DUPFD, 10)
    os.close(cmd_r)
    os.close(out_w)

    def wire():
        os.dup2(child_r, 3)
        os.dup2(child_w, 4)

    with tempfile.TemporaryDirectory(prefix="dynlearn-chromium-") as profile:
        args = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                "--remote-debugging-pipe", f"--user-data-dir={profile}", "about:blank"]  # fmt: skip
        proc = subprocess.Popen(args, pass_fds=(3, 4), preexec_fn=wire,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        os.close(child_r)
        os.close(child_w)
        pipe = _Pipe(proc, cmd_w, out_r)
        try:
            target = pipe.call("Target.createTarget", {"url": "about:blank"}, timeout=timeout)["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Page"):
                pipe.call(f"{domain}.enable", session=session)
            pipe.call("Page.navigate", {"url": Path(path).resolve().as_uri()}, session=session)
            pipe.wait_event("Page.loadEventFired", timeout=timeout)
            value = pipe.call("Runtime.evaluate", {"expression": _IMAGES, "returnByValue": True}, session=session)
            images = json.loads(value["result"]["value"])
            console = []
            for e in pipe.events:
                p = e.get("params", {})
                if e.get("method") == "Runtime.consoleAPICalled":
                    console.append((p["type"], " ".join(str(a.get("value", a.get("description"))) for a in p["args"])))
                elif e.get("method") == "Runtime.exceptionThrown":
                    console.append(("exception", p["exceptionDetails"].get("text", "")))
                elif e.get("method") == "Log.entryAdded":
                    console.append((p["entry"]["level"], p["entry"]["text"]))
            try:
                pipe.call("Browser.close", timeout=10)
            except (RuntimeError, TimeoutError):
                pass
        finally:
            os.close(cmd_w)
            os.close(out_r)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    return {"images": images, "console": console}
