#!/usr/bin/env python3
"""xox side by side with python-slack-sdk's TokenRotator and SQLite3InstallationStore.

Both talk to the same `xox sim` over loopback, each with installs of its own, and the table
compares: a valid token when none is due (warm) and when a refresh is due, refreshing 1,000
installations, and 50 processes asking for one due token at once (refresh calls that reached
Slack, invalid_refresh_token answers, callers left without a working token).

The SDK side does what Bolt's authorize step does: find_installation, perform_token_rotation,
save the rotated installation. Run through bench/sdk-compare.sh, which installs the SDK.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlite3 import SQLite3InstallationStore
from slack_sdk.oauth.token_rotation import TokenRotator

CLIENT_ID = "1000000001.2000000001"  # the simulator's preset rotating app
CLIENT_SECRET = "sim-client-secret"
DUE_LIFETIME = 3600  # inside both tools' default two-hour window
WARM_LIFETIME = 43200  # Slack's 12 hours: not due


class Sim:
    def __init__(self, xox):
        self.proc = subprocess.Popen(
            [xox, "sim"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self.url = self.proc.stdout.readline().strip()

    def request(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(req) as answer:
            text = answer.read()
            return json.loads(text) if text else None

    def lifetime(self, secs):
        self.request("POST", "/_sim/config", {"token_lifetime_secs": secs})

    def install(self, team):
        return self.request(
            "POST", "/_sim/installs",
            {"client_id": CLIENT_ID, "team_id": team, "team_name": team, "scopes": "chat:write"},
        )

    def slow_refreshes(self, ms, count):
        self.request(
            "POST", "/_sim/faults",
            {"kind": "delay", "ms": ms, "method": "oauth.v2.access", "count": count},
        )

    def clear_faults(self):
        self.request("DELETE", "/_sim/faults")

    def counters(self):
        return self.request("GET", "/_sim/counters")

    def works(self, token):
        req = urllib.request.Request(
            self.url + "/api/auth.test", data=b"", method="POST",
            headers={"authorization": "Bearer " + token},
        )
        with urllib.request.urlopen(req) as answer:
            return json.loads(answer.read()).get("ok") is True

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Xox:
    def __init__(self, binary, sim, workdir):
        self.binary = binary
        self.env = dict(
            os.environ,
            XOX_DB=os.path.join(workdir, "xox.db"),
            XOX_SLACK_URL=sim.url,
            XDG_STATE_HOME=os.path.join(workdir, "state"),
            XOX_KEYRING="0",
            XOX_CLIENT_SECRET=CLIENT_SECRET,
        )
        self.env.pop("XOX_KEY", None)
        self.run(["app", "add", "bench", "--client-id", CLIENT_ID, "--rotation"], "")

    def run(self, args, stdin=None):
        out = subprocess.run(
            [self.binary, *args], input=stdin, env=self.env, capture_output=True, text=True
        )
        if out.returncode != 0:
            raise RuntimeError(f"xox {args[0]}: {out.stderr.strip()}")
        return out.stdout

    def add(self, name, answer):
        self.run(["import", name, "--app", "bench"], json.dumps(answer))

    def token(self, name):
        return self.run(["token", name]).strip()

    def popen_token(self, name):
        return subprocess.Popen(
            [self.binary, "token", name], env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )


class Sdk:
    def __init__(self, sim, workdir):
        self.db = os.path.join(workdir, "sdk.db")
        self.sim_url = sim.url
        self.store = SQLite3InstallationStore(database=self.db, client_id=CLIENT_ID)
        self.store.init()
        self.rotator = rotator(sim.url)

    def add(self, answer):
        self.store.save(installation_of(answer))

    def token(self, team):
        return sdk_token(self.store, self.rotator, team)

    def popen_token(self, team, start_at):
        return subprocess.Popen(
            [sys.executable, __file__, "--worker", self.sim_url, self.db, team, str(start_at)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )


def rotator(sim_url):
    return TokenRotator(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
        client=WebClient(base_url=sim_url + "/api/"),
    )


def installation_of(answer):
    # Bolt fills bot_id from auth.test after the install; the store requires one.
    return Installation(
        bot_id="B" + answer["team"]["id"],
        app_id=answer["app_id"], team_id=answer["team"]["id"], team_name=answer["team"]["name"],
        bot_token=answer["access_token"], bot_refresh_token=answer["refresh_token"],
        bot_token_expires_in=answer["expires_in"], bot_user_id=answer.get("bot_user_id"),
        bot_scopes=answer["scope"], user_id=answer["authed_user"]["id"],
        installed_at=time.time(),
    )


def sdk_token(store, token_rotator, team):
    """What Bolt's authorize step does with token rotation on."""
    installation = store.find_installation(enterprise_id=None, team_id=team)
    rotated = token_rotator.perform_token_rotation(
        installation=installation, minutes_before_expiration=120
    )
    if rotated is not None:
        store.save(rotated)
        installation = rotated
    return installation.bot_token


def worker(sim_url, db, team, start_at):
    """One SDK process of the stampede: imports done, wait for the start, ask once."""
    store = SQLite3InstallationStore(database=db, client_id=CLIENT_ID)
    token_rotator = rotator(sim_url)
    time.sleep(max(0.0, float(start_at) - time.time()))
    try:
        print(sdk_token(store, token_rotator, team))
    except Exception as error:  # the SDK raises SlackTokenRotationError and others
        print(type(error).__name__, file=sys.stderr)
        sys.exit(1)


def timed(fn, items):
    samples = []
    for item in items:
        started = time.perf_counter()
        fn(item)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def seed(sim, xox, sdk, prefix, count, lifetime):
    sim.lifetime(lifetime)
    teams = [f"{prefix}{i:05d}" for i in range(count)]
    for team in teams:
        xox.add("x" + team, sim.install("X" + team))
        sdk.add(sim.install("S" + team))
    # Refreshed tokens live Slack's 12 hours, so a refresh is not due again at once.
    sim.lifetime(WARM_LIFETIME)
    return teams


def stampede(sim, popen_all, processes):
    """Start the processes at once with Slack slow to refresh; count what reached it."""
    before = sim.counters()
    sim.slow_refreshes(300, processes)
    started = time.perf_counter()
    outputs = [p.communicate() for p in popen_all()]
    wall = time.perf_counter() - started
    sim.clear_faults()
    after = sim.counters()
    tokens = [out.strip() for out, _ in outputs]
    working = {t: sim.works(t) for t in set(tokens) if t}
    return {
        "refreshes": after["calls"].get("oauth.v2.access", 0)
        - before["calls"].get("oauth.v2.access", 0),
        "invalid": after["invalid_refresh_token"] - before["invalid_refresh_token"],
        "without": sum(1 for t in tokens if not working.get(t)),
        "wall": wall,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xox", default="target/release/xox")
    parser.add_argument("--installs", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=50)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--worker", nargs=4)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker)
        return
    sim = Sim(args.xox)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as workdir:
            xox, sdk = Xox(args.xox, sim, workdir), Sdk(sim, workdir)
            n = args.samples
            warm = seed(sim, xox, sdk, "W", 1, WARM_LIFETIME)[0]
            rows.append((
                "valid token, none due (median)",
                f"{timed(lambda _: xox.token('x' + warm), range(n)):.1f} ms per process",
                f"{timed(lambda _: sdk.token('S' + warm), range(n)):.1f} ms in process, "
                f"{timed(lambda _: sdk.popen_token('S' + warm, 0).communicate(), range(5)):.0f} ms per process",
            ))
            due = seed(sim, xox, sdk, "D", n, DUE_LIFETIME)
            rows.append((
                "valid token, refresh due (median)",
                f"{timed(lambda t: xox.token('x' + t), due):.1f} ms per process",
                f"{timed(lambda t: sdk.token('S' + t), due):.1f} ms in process",
            ))

            teams = seed(sim, xox, sdk, "R", args.installs, DUE_LIFETIME)
            started = time.perf_counter()
            report = json.loads(xox.run(["refresh", "--all", "--json"]))
            xox_all = time.perf_counter() - started
            started = time.perf_counter()
            for team in teams:
                sdk.token("S" + team)
            sdk_loop = time.perf_counter() - started
            # A second round for the SDK with eight threads, xox's default concurrency.
            sim.lifetime(DUE_LIFETIME)
            teams8 = [f"T{i:05d}" for i in range(args.installs)]
            for team in teams8:
                sdk.add(sim.install("S" + team))
            sim.lifetime(WARM_LIFETIME)
            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda t: sdk.token("S" + t), teams8))
            sdk_threads = time.perf_counter() - started
            rows.append((
                f"refresh {args.installs} installations",
                f"{xox_all:.2f} s ({report['refreshed']} refreshed, {report['failed']} failed)",
                f"{sdk_loop:.2f} s in a loop, {sdk_threads:.2f} s on 8 threads",
            ))

            one = seed(sim, xox, sdk, "C", 1, DUE_LIFETIME)[0]
            p = args.processes
            x = stampede(sim, lambda: [xox.popen_token("x" + one) for _ in range(p)], p)
            start_at = time.time() + 2.0
            s = stampede(sim, lambda: [sdk.popen_token("S" + one, start_at) for _ in range(p)], p)
            for what, key in [
                ("refresh calls that reached Slack", "refreshes"),
                ("invalid_refresh_token answers", "invalid"),
                ("processes left without a working token", "without"),
            ]:
                rows.append((f"{p} processes at once, one due token: {what}", str(x[key]), str(s[key])))
    finally:
        sim.stop()
    rows.insert(0, ("", "xox", "python-slack-sdk"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())


if __name__ == "__main__":
    main()
