#!/usr/bin/env python3
"""Drive headless Chromium over the DevTools protocol (a pipe, standard library only).

Opens URL, waits until the JavaScript expression READY is true (or the timeout passes); with
--action, evaluates ACTION then waits for AFTER (e.g. drop the page's WebSocket, then wait for
it to reconnect); evaluates REPORT and prints one JSON object on stdout:

    {"ready": bool, "report": <REPORT's value>, "exceptions": [...], "console_errors": [...],
     "log_errors": [...]}

`exceptions` are uncaught script errors, `console_errors` calls of console.error, and
`log_errors` the browser's own error log (refused by the Content-Security-Policy, a resource
that failed to load, ...). With --screenshot PATH a PNG of the viewport (with --full-page, of the whole page) is
written there.

Used by crates/node/tests/dashboard.rs, and to take docs/dashboard.png (docs/dashboard.md).
"""

import argparse
import base64
import fcntl
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser():
    named = os.environ.get("NOVATION_CHROMIUM")
    if named:
        return named
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


class Browser:
    """One Chromium process and its DevTools pipe (fd 3: commands in, fd 4: answers out)."""

    def __init__(self, binary, width, height):
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        # Copies of the child's ends above 4, so wiring them to 3 and 4 cannot clobber them.
        child_in = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
        child_out = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
        self.profile = tempfile.mkdtemp(prefix="novation-chromium-")

        def wire_pipe():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        args = [
            binary,
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--hide-scrollbars",
            "--remote-debugging-pipe",
            f"--user-data-dir={self.profile}",
            f"--window-size={width},{height}",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            args, preexec_fn=wire_pipe, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        for fd in (to_child_r, from_child_w, child_in, child_out):
            try:
                os.close(fd)
            except OSError:
                pass
        self.writer = os.fdopen(to_child_w, "wb", buffering=0)
        self.reader = os.fdopen(from_child_r, "rb", buffering=0)
        self.messages = queue.Queue()
        self.events = []
        self.next_id = 1
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buffer = b""
        while True:
            chunk = self.reader.read(65536)
            if not chunk:
                self.messages.put(None)
                return
            buffer += chunk
            while b"\0" in buffer:
                raw, buffer = buffer.split(b"\0", 1)
                self.messages.put(json.loads(raw))

    def call(self, method, params=None, session=None, timeout=30.0):
        ident = self.next_id
        self.next_id += 1
        message = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.writer.write(json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(method)
            answer = self.messages.get(timeout=left)
            if answer is None:
                raise RuntimeError("the browser closed its DevTools pipe")
            if answer.get("id") == ident:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def drain(self):
        while True:
            try:
                message = self.messages.get_nowait()
            except queue.Empty:
                return
            if message is not None:
                self.events.append(message)

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)


def evaluate(browser, session, expression):
    result = browser.call(
        "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session
    )
    if "exceptionDetails" in result:
        raise RuntimeError(f"evaluating {expression!r}: {result['exceptionDetails']}")
    return result["result"].get("value")


def wait_for(browser, session, expression, timeout):
    """Polls `expression` until it is true; false once `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if evaluate(browser, session, expression):
                return True
        except RuntimeError:
            pass  # the page is still loading
        time.sleep(0.2)
    return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--ready", default="document.readyState === 'complete'")
    parser.add_argument("--report", default="document.documentElement.outerHTML")
    parser.add_argument("--action", help="evaluated once READY holds")
    parser.add_argument("--after", default="true", help="waited for after ACTION")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for READY")
    parser.add_argument("--settle", type=float, default=0.0, help="seconds to wait after READY")
    parser.add_argument("--screenshot")
    parser.add_argument("--full-page", action="store_true", help="screenshot the whole page, not the viewport")
    parser.add_argument("--window", default="1400,1000")
    options = parser.parse_args()

    binary = find_browser()
    if not binary:
        print("no chromium found (apt-get install chromium)", file=sys.stderr)
        return 2
    width, height = (int(x) for x in options.window.split(","))
    browser = Browser(binary, width, height)
    try:
        target = browser.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = browser.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            browser.call(domain, session=session)
        browser.call("Page.navigate", {"url": options.url}, session)
        ready = wait_for(browser, session, options.ready, options.timeout)
        if ready and options.action:
            evaluate(browser, session, options.action)
            ready = wait_for(browser, session, options.after, options.timeout)
        if ready and options.settle:
            time.sleep(options.settle)
        report = evaluate(browser, session, options.report)
        if options.screenshot:
            shot_params = {"format": "png"}
            if options.full_page:
                size = browser.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
                clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
                shot_params.update(clip=clip, captureBeyondViewport=True)
            shot = browser.call("Page.captureScreenshot", shot_params, session)
            with open(options.screenshot, "wb") as out:
                out.write(base64.b64decode(shot["data"]))
        browser.drain()
    finally:
        browser.close()

    def params(method):
        return [e.get("params", {}) for e in browser.events if e.get("method") == method]

    exceptions = [p["exceptionDetails"].get("exception", {}).get("description") or p["exceptionDetails"].get("text")
                  for p in params("Runtime.exceptionThrown")]
    console_errors = [" ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                      for p in params("Runtime.consoleAPICalled") if p.get("type") == "error"]
    log_errors = [f"{p['entry'].get('text')} {p['entry'].get('url', '')}".strip()
                  for p in params("Log.entryAdded") if p["entry"].get("level") == "error"]
    print(json.dumps({"ready": ready, "report": report, "exceptions": exceptions,
                      "console_errors": console_errors, "log_errors": log_errors}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
