#!/usr/bin/env python3
"""The client side of tests/bench/soak_serve.sh (standard library only).

  soak_serve.py profiles REDIS_PORT VARIANT CREATED
      SET the GPU profiles of model m (deployments d-a and d-b) in Redis: variant 0 makes d-a
      the cheaper per request, variant 1 d-b; CREATED is the profiles' "created" time.
  soak_serve.py drive WORK REDIS_PORT SERVE_PORT SERVE_PID
      Until SIGTERM: the gateway (a trace record SET every second, as AIBrix's gateway writes
      it), the poller (GET /metrics/default/d-a and d-b, every answer with its time), /readyz
      every 0.25 s, and every 5 s the service's RSS, its /metrics counters and the lines of the
      decision log. Writes WORK/{writes,polls,ready,samples}.txt.
  soak_serve.py final WORK SERVE_PORT SERVE_PID
      At half past the next second (between two rounds), the service's counters as one JSON
      line: the last read before SIGTERM.
  soak_serve.py check WORK
      Reads what drive, the service and the script wrote; prints the figures; exit 1 when a
      check fails.

Which value may be served (optimizer/server/serve.c, optimizer/model.c): a deployment serves its
override if set (the soak sets none), else the value the loop last published, else, before the
first published round, replicas x 100. A round publishes after it ran: an `optimize` round the
units of the deployment in its decision (0 when the deployment is not in it: no profile), a
`minimize` round min_replicas x 100; `skip`, `no profile`, a failed solve and a round that could
not read Redis change nothing. The decision's time_s is the round's start, before the publish,
and the service logs the decision on stderr after the publish, so the publish of decision k
happens in [time_s, stderr time + 1 ms] (the stderr time is in whole ms); a `minimize` round is
logged at debug level after its publish, and its start is taken as 1 s before that (a round
takes milliseconds). A GET sent at t0 and answered at t1 read the value at some moment of
[t0, t1]: it may serve the value of any change that may have been published by t1, from the
last that was certainly published by t0 on (or the default when none was).
"""
import bisect
import calendar
import http.client
import json
import os
import signal
import socket
import sys
import threading
import time

MODEL = "m"
NS = "default"
DEPLOYMENTS = ["d-a", "d-b"]
REPLICAS = 1      # configured: served (x 100) before the first round
MIN_REPLICAS = 1  # configured: served (x 100) after a minimize round
GRID = [[32, 128], [64, 256]]
# (cost per hour, req/s in every bucket) of d-a and d-b, per variant
VARIANTS = [{"d-a": (1.0, 10.0), "d-b": (3.0, 25.0)},
            {"d-a": (1.0, 10.0), "d-b": (2.0, 25.0)}]
# a steady 42 req/s, two cells (AIBrix's "<input>:<output>" log2 bins), 1-s interval, v4 meta
RECORD = {"66:56": 30, "70:60": 12, "meta_v": 4, "meta_interval_sec": 1, "meta_precision": 10,
          "meta_total_reqs": 42, "meta_pending_reqs": 0, "meta_queueing_reqs": 0}
TRACE_EXPIRY_S = 600  # the gateway's
WARMUP_S = 30         # RSS "start" is the first sample after this
RSS_SLACK_KIB = 1024  # "flat": end <= start + max(this, 5% of start)


# --- Redis (RESP) ---

def resp(sock, *args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    f = sock.makefile("rb")
    line = f.readline()
    if not line:
        raise ConnectionError("Redis closed the connection")
    if line[:1] == b"-":
        raise RuntimeError(line.decode().strip())
    return line.decode().strip()


def redis_connect(port, timeout=1.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def profile_json(dep, variant, created):
    cost, tput = VARIANTS[variant][dep]
    return json.dumps({"gpu": dep, "cost": cost, "tputs": [[tput, tput], [tput, tput]],
                       "indexes": GRID, "created": created})


def cmd_profiles(port, variant, created):
    s = redis_connect(int(port))
    for dep in DEPLOYMENTS:
        resp(s, "SET", "aibrix:profile_%s_%s" % (MODEL, dep),
             profile_json(dep, int(variant), float(created)))
    s.close()


# --- drive ---

class Http:
    """One keep-alive connection; reopened after an error."""

    def __init__(self, port):
        self.port, self.c = port, None

    def get(self, path):
        try:
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            self.c.request("GET", path)
            r = self.c.getresponse()
            return r.status, r.read().decode()
        except (OSError, http.client.HTTPException) as e:
            if self.c:
                self.c.close()
            self.c = None
            return 0, str(e)


def writer(stop, work, port):
    """The gateway: at 0.3 s past each second, SET the record of the second that ended."""
    rec = json.dumps(RECORD)
    sock = None
    with open(os.path.join(work, "writes.txt"), "w") as out:
        while not stop.is_set():
            now = time.time()
            ts = int(now)
            if stop.wait(ts + 1.3 - now):
                break
            ts += 1
            ok = 1
            try:
                if sock is None:
                    sock = redis_connect(port, 0.5)
                resp(sock, "SET", "aibrix:%s_request_trace_%d" % (MODEL, ts), rec,
                     "EX", TRACE_EXPIRY_S)
            except (OSError, ConnectionError, RuntimeError):
                ok = 0
                if sock:
                    sock.close()
                sock = None
            out.write("%d %d\n" % (ts, ok))
            out.flush()


def poller(stop, work, port):
    """GET every deployment's value in turn, about 250 requests/s, each with [t0, t1]."""
    h = Http(port)
    with open(os.path.join(work, "polls.txt"), "w") as out:
        i = 0
        while not stop.is_set():
            dep = DEPLOYMENTS[i % len(DEPLOYMENTS)]
            i += 1
            t0 = time.time()
            st, body = h.get("/metrics/%s/%s" % (NS, dep))
            t1 = time.time()
            v = -1
            if st == 200:
                line = body.strip().splitlines()[-1] if body.strip() else ""
                want = 'vllm:deployment_replicas{model_name="%s"} ' % MODEL
                v = int(line[len(want):]) if line.startswith(want) else -2
            out.write("%.6f %.6f %s %d %d\n" % (t0, t1, dep, st, v))
            time.sleep(0.004 if st else 0.05)


def ready(stop, work, port):
    h = Http(port)
    with open(os.path.join(work, "ready.txt"), "w") as out:
        while not stop.is_set():
            st, body = h.get("/readyz")
            try:
                state = json.loads(body)["status"] if st else "down"
            except (ValueError, KeyError):
                state = "bad"
            out.write("%.6f %d %s\n" % (time.time(), st, state))
            out.flush()
            stop.wait(0.25)


def prom(text):
    m = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            k, _, v = line.rpartition(" ")
            m[k] = float(v)
    return m


def count_lines(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except OSError:
        return -1


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return -1


def sample(h, work, pid):
    """The service's counters and the decision log's lines, read between two rounds."""
    st, body = h.get("/metrics")
    lines = count_lines(os.path.join(work, "decisions.jsonl"))
    m = prom(body) if st == 200 else {}
    key = 'podscale_optimizer_%s{model="%s"}'
    rounds = sum(v for k, v in m.items()
                 if k.startswith('podscale_optimizer_rounds_total{model="%s"' % MODEL))
    return {"t": time.time(), "rss_kib": rss_kib(pid), "status": st,
            "decisions": m.get(key % ("decisions_total", MODEL), -1), "log_lines": lines,
            "rounds": rounds, "unread": m.get(key % ("rounds_unread_total", MODEL), -1),
            "minimize": m.get('podscale_optimizer_rounds_total{model="%s",action="minimize"}'
                              % MODEL, -1),
            "redis_up": m.get("podscale_optimizer_redis_up", -1),
            "redis_errors": m.get("podscale_optimizer_redis_errors_total", -1),
            "http_requests": m.get("podscale_optimizer_http_requests_total", -1),
            "http_errors": m.get("podscale_optimizer_http_errors_total", -1),
            "uptime_s": m.get("podscale_optimizer_uptime_seconds", -1)}


def sampler(stop, work, port, pid):
    """Every 5 s, at half past a second (rounds run on whole seconds: none is in progress)."""
    h = Http(port)
    with open(os.path.join(work, "samples.txt"), "w") as out:
        while True:
            now = time.time()
            if stop.wait(int(now) + 1.5 - now):
                break
            s = sample(h, work, pid)
            if s["decisions"] != s["log_lines"]:  # a round may have overrun: look again
                time.sleep(0.2)
                s = sample(h, work, pid)
            out.write(json.dumps(s) + "\n")
            out.flush()
            stop.wait(3.5)


def cmd_final(work, serve_port, serve_pid):
    now = time.time()
    time.sleep(int(now) + 1.5 - now)
    print(json.dumps(sample(Http(int(serve_port)), work, int(serve_pid))))


def cmd_drive(work, redis_port, serve_port, serve_pid):
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    rp, sp, pid = int(redis_port), int(serve_port), int(serve_pid)
    ts = [threading.Thread(target=writer, args=(stop, work, rp)),
          threading.Thread(target=poller, args=(stop, work, sp)),
          threading.Thread(target=ready, args=(stop, work, sp)),
          threading.Thread(target=sampler, args=(stop, work, sp, pid))]
    for t in ts:
        t.start()
    while not stop.is_set():
        stop.wait(1)
    for t in ts:
        t.join()


# --- check ---

def log_time(s):
    """The service's log time, 2026-12-07T03:55:54.351Z, as Unix seconds."""
    sec = calendar.timegm(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S"))
    return sec + int(s[20:23]) / 1000.0


def read_lines(path):
    try:
        with open(path) as f:
            return [l for l in f.read().splitlines() if l.strip()]
    except OSError:
        return []


def changes(decisions, serve_log, failures):
    """Every change of the served values, oldest first: (lo, hi, {dep: value})."""
    opt_lines, mins = [], []
    for line in serve_log:
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o["logger"] == "aibrix.gpu_optimizer.load_monitor" and \
                " optimization took " in o["message"]:
            opt_lines.append((log_time(o["time"]), o["message"]))
        elif "no load in the window: minimum replicas" in o["message"]:
            mins.append(log_time(o["time"]))
    # the k-th optimize round wrote one stderr line and one decision line, in that order
    ev, i, missing = [], 0, 0
    for when, msg in opt_lines:
        if i < len(decisions) and decisions[i].get("log") == msg:
            units = {x["name"]: x["units"] for x in decisions[i]["deployments"]}
            ev.append((decisions[i]["time_s"], when + 0.001,
                       {dep: units.get("%s/%s" % (NS, dep), 0) for dep in DEPLOYMENTS}))
            i += 1
        else:
            missing += 1
            if missing <= 3:
                failures.append("the decision logged on stderr at %.3f is not in the decision log"
                                " (%s)" % (when, msg))
    if missing > 3:
        failures.append("%d decisions logged on stderr are not in the decision log" % missing)
    if i < len(decisions):
        failures.append("%d lines of the decision log were not logged on stderr"
                        % (len(decisions) - i))
    for when in mins:
        ev.append((when - 1.0, when + 0.001, {dep: MIN_REPLICAS * 100 for dep in DEPLOYMENTS}))
    ev.sort(key=lambda e: e[1])
    return ev, len(mins), len(opt_lines)


def check_values(polls, ev):
    """Polls that served a value no change allowed: (count, first few)."""
    his = [e[1] for e in ev]
    los_max = []  # prefix maxima of lo, so that "lo_k <= t1" is a prefix for bisect
    for e in ev:
        los_max.append(max(e[0], los_max[-1]) if los_max else e[0])
    bad, examples, straddled = 0, [], 0
    for t0, t1, dep, st, v in polls:
        if st != 200:
            continue
        k0 = bisect.bisect_right(his, t0) - 1  # certainly published by t0 (-1: none)
        k1 = len(ev) - 1
        while k1 >= 0 and ev[k1][0] > t1:
            k1 -= 1
        allowed = set()
        if k0 < 0:
            allowed.add(REPLICAS * 100)
        for k in range(max(k0, 0), k1 + 1):
            allowed.add(ev[k][2][dep])
        straddled += len(allowed) > 1
        if v not in allowed:
            bad += 1
            if len(examples) < 5:
                examples.append("%s at [%.3f, %.3f] served %d, allowed %s"
                                % (dep, t0, t1, v, sorted(allowed)))
    return bad, examples, straddled


def intervals(ready):
    """Spans of "degraded" (or not 200) /readyz answers: [(start, end)]."""
    out, start = [], None
    for t, st, state in ready:
        bad = st != 200 or state != "ok"
        if bad and start is None:
            start = t
        elif not bad and start is not None:
            out.append((start, t))
            start = None
    if start is not None:
        out.append((start, ready[-1][0]))
    return out


def cmd_check(work):
    failures = []
    p = lambda name: os.path.join(work, name)
    decisions = [json.loads(l) for l in read_lines(p("decisions.jsonl"))]
    serve_log = read_lines(p("serve.log"))
    polls = []
    for l in read_lines(p("polls.txt")):
        t0, t1, dep, st, v = l.split()
        polls.append((float(t0), float(t1), dep, int(st), int(v)))
    ready = [(float(a), int(b), c) for a, b, c in (l.split() for l in read_lines(p("ready.txt")))]
    samples = [json.loads(l) for l in read_lines(p("samples.txt"))]
    writes = [l.split() for l in read_lines(p("writes.txt"))]
    events = [l.split(None, 1) for l in read_lines(p("events.txt"))]
    info = dict(l.split("=", 1) for l in read_lines(p("run.txt")))
    t_start, t_end = float(info["start"]), float(info["end"])
    print("soak: %.0f s of podscale serve (%s), Redis killed %s times"
          % (t_end - t_start, info["version"], info["redis_kills"]))

    # memory
    rss = [(s["t"], s["rss_kib"]) for s in samples if s["rss_kib"] > 0]
    after = [r for r in rss if r[0] >= t_start + WARMUP_S] or rss
    if after:
        start, end = after[0][1], after[-1][1]
        lo, hi = min(r[1] for r in after), max(r[1] for r in after)
        print("RSS (KiB, %d samples after %d s of warm-up): start %d, end %d, min %d, max %d,"
              " end - start %+d" % (len(after), WARMUP_S, start, end, lo, hi, end - start))
        late = [r[1] for r in after if r[0] >= (t_start + t_end) / 2]
        if late:
            print("RSS (KiB) over the second half: min %d, max %d" % (min(late), max(late)))
        if end > start + max(RSS_SLACK_KIB, start // 20):
            failures.append("RSS grew from %d to %d KiB" % (start, end))
    else:
        failures.append("no RSS sample")

    # rounds and decisions
    answered = [s for s in samples if s["status"] == 200]
    last = answered[-1] if answered else {}
    final = json.loads(info["final_metrics"]) if info.get("final_metrics") else last
    ev, n_min, n_stderr = changes(decisions, serve_log, failures)
    print("rounds: %d published (%d optimize, %d minimize), %d could not read Redis; uptime %.0f s"
          % (final.get("rounds", -1), final.get("decisions", -1), final.get("minimize", -1),
             final.get("unread", -1), final.get("uptime_s", -1)))
    if final.get("rounds", 0) + final.get("unread", 0) < final.get("uptime_s", 0) - 5:
        failures.append("the loop fell behind: %d rounds in %.0f s"
                        % (final.get("rounds", 0) + final.get("unread", 0), final["uptime_s"]))
    print("decisions: %d logged (decision log), %d counted by the service at its last read,"
          " %d on stderr" % (len(decisions), final.get("decisions", -1),
                              n_stderr))
    before = sum(1 for d in decisions if d["time_s"] < final.get("t", 0))
    if final.get("decisions", -1) != before:  # rounds after the last read are not counted
        failures.append("podscale_optimizer_decisions_total %d at the last read, decision log"
                        " %d lines before it" % (final.get("decisions", -1), before))
    uneq = [s for s in answered if s["decisions"] != s["log_lines"]]
    print("decision log against the counter: %d reads every 5 s, %d differed"
          % (len(answered), len(uneq)))
    for s in uneq[:3]:
        failures.append("at %.1f s the service counted %d decisions, the log held %d"
                        % (s["t"] - t_start, s["decisions"], s["log_lines"]))
    round_errors = sum(1 for l in serve_log if ": round skipped: " in l)
    if round_errors:
        failures.append("%d rounds failed inside the monitor (\"round skipped\")" % round_errors)
    for dep in DEPLOYMENTS:
        vals = [e[2][dep] for e in ev]
        moves = sum(1 for a, b in zip(vals, vals[1:]) if a != b)
        print("%s: %d changes of the value decided, %d distinct values from %d to %d"
              % (dep, moves, len(set(vals)), min(vals, default=-1), max(vals, default=-1)))

    # values served
    ok = [x for x in polls if x[3] == 200]
    bad, examples, straddled = check_values(polls, ev)
    n_err = len(polls) - len(ok)
    span = (polls[-1][1] - polls[0][0]) if polls else 0
    print("GET /metrics/%s/{%s}: %d requests (%.0f/s), %d errors, %d wrong values"
          % (NS, ",".join(DEPLOYMENTS), len(polls), len(polls) / span if span else 0, n_err, bad))
    print("  (%d answers fell while a new value was being published: either value allowed)"
          % straddled)
    if n_err:
        failures.append("%d polls failed or were not 200" % n_err)
    if bad:
        failures.append("%d wrong values served: %s" % (bad, "; ".join(examples)))
    if not ok:
        failures.append("no value polled")
    for dep in DEPLOYMENTS:  # the last answer, after the last round: the last decision's
        mine = [x for x in ok if x[2] == dep]
        if mine and ev and mine[-1][4] != ev[-1][2][dep]:
            failures.append("%s: last served %d, last decided %d"
                            % (dep, mine[-1][4], ev[-1][2][dep]))
    bench = [l.split() for l in read_lines(p("bench.txt"))]
    b_req = sum(int(float(x[1])) for x in bench if x[0] == "requests")
    b_err = sum(int(float(x[1])) for x in bench if x[0] in ("errors", "unexpected_status"))
    print("bench_http bursts: %d, %d requests, %d errors or unexpected statuses"
          % (sum(1 for x in bench if x[0] == "requests"), b_req, b_err))
    if b_err:
        failures.append("bench_http: %d errors" % b_err)
    print("service's own count: %d HTTP requests, %d answered 4xx/5xx"
          % (final.get("http_requests", -1), final.get("http_errors", -1)))
    if final.get("http_errors", 0) != 0:
        failures.append("the service answered %d requests with 4xx/5xx" % final["http_errors"])

    # Redis outages and readiness
    spans = intervals(ready)
    lost = sum(1 for w in writes if w[1] == "0")
    down = [float(e[0]) for e in events if e[1].startswith("redis killed")]
    up = [float(e[0]) for e in events if e[1].startswith("redis restarted")]
    outage = [u - d for d, u in zip(down, up)]
    print("Redis: %d kills, down %s s each; gateway records lost %d of %d;"
          " Redis errors counted %d" % (len(down), "%.1f-%.1f" % (min(outage), max(outage))
                                       if outage else "-", lost, len(writes),
                                       final.get("redis_errors", -1)))
    in_outage = sum(1 for x in ok if any(d <= x[0] and x[1] <= u for d, u in zip(down, up)))
    print("  %d values served while Redis was down" % in_outage)
    durs = [b - a for a, b in spans]
    print("readiness: %d /readyz answers, degraded %d times, %.1f s in all (each %s s)"
          % (len(ready), len(spans), sum(durs),
             "%.1f-%.1f" % (min(durs), max(durs)) if durs else "-"))
    if any(st not in (200,) for _, st, _ in ready):
        failures.append("/readyz did not answer 200 %d times"
                        % sum(1 for _, st, _ in ready if st != 200))
    for e in events:
        if not e[1].startswith("redis"):
            print("event at %.1f s: %s" % (float(e[0]) - t_start, e[1]))

    # the end
    if info.get("died"):
        print("died (%s): exit status %s" % (info["died"], info.get("exit_status")))
    else:
        print("SIGTERM: exit status %s after %s s" % (info.get("exit_status"), info.get("stop_s")))
    if info.get("died"):
        failures.append("podscale serve died during the soak (%s), exit status %s"
                        % (info["died"], info.get("exit_status")))
    elif info.get("exit_status") != "0":
        failures.append("podscale serve exit status %s after SIGTERM" % info.get("exit_status"))
    print("regress: %s (exit %s)" % (info.get("regress", "-"), info.get("regress_status")))
    if info.get("regress_status") != "0":
        failures.append("podscale regress exit %s" % info.get("regress_status"))
    if not decisions:
        failures.append("no decision")

    for f in failures:
        print("FAIL: " + f)
    print("soak: %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "profiles" and len(argv) == 5:
        return cmd_profiles(*argv[2:]) or 0
    if len(argv) >= 2 and argv[1] == "drive" and len(argv) == 6:
        return cmd_drive(*argv[2:]) or 0
    if len(argv) >= 2 and argv[1] == "final" and len(argv) == 5:
        return cmd_final(*argv[2:]) or 0
    if len(argv) == 3 and argv[1] == "check":
        return cmd_check(argv[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
