#!/usr/bin/env python3
"""A reference server of imagecot's HTTP step protocol (docs/step-protocol.md), standard library only.

It wraps a toy deterministic generator: each path draws a shapes-world scene (coloured filled
shapes on a grey background, 64x64) from its own seeded stream and reveals it cell by cell on an
8x8 grid, as a masked-token generator fixes tokens step by step. Replace the `ToyGenerator` part
with a Show-o or Janus model (README.md says how) and keep the HTTP part as it is.

    python3 server.py --port 0        # prints: listening on http://127.0.0.1:PORT
    imagecot generate "a photo of two red circles" --out runs/toy --strategy parm --judge fine-tuned --generator-url http://127.0.0.1:PORT
"""

import argparse
import base64
import json
import math
import random
import re
import struct
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROTOCOL = "imagecot-steps/1"
MAX_STEPS = 100
MAX_SEED = 2**53 - 1
MAX_ID = 2**31 - 1


class ProtocolError(Exception):
    """A request the server refuses: its status and a one-line reason."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def bad(message):
    return ProtocolError(400, message)


# ---------------------------------------------------------------------------------------------
# The toy generator. A real adapter keeps one batch of token sequences per session instead:
# tokens + mask + the random generator's state per path, one forward pass per step.
# ---------------------------------------------------------------------------------------------

SIZE, GRID = 64, 8
CELL = SIZE // GRID
TOKENS = GRID * GRID
BACKGROUND = (128, 128, 128)
PALETTE = {
    "red": (215, 35, 35),
    "orange": (245, 135, 20),
    "yellow": (245, 225, 30),
    "green": (40, 160, 60),
    "blue": (25, 100, 235),
    "purple": (145, 35, 170),
    "pink": (245, 140, 200),
    "brown": (120, 60, 20),
    "black": (20, 20, 20),
    "white": (240, 240, 240),
}
COLOURS = list(PALETTE)
SHAPES = ["circle", "square", "triangle", "star", "cross", "ring", "heart", "diamond"]
NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4}
STAR = [((1 if k % 2 == 0 else 0.45) * math.cos(-math.pi / 2 + k * math.pi / 5), (1 if k % 2 == 0 else 0.45) * math.sin(-math.pi / 2 + k * math.pi / 5)) for k in range(10)]


def parse_prompt(prompt):
    """What the prompt asks for, as far as the toy understands it: a count, a colour, a shape."""
    words = re.findall(r"[a-z]+", prompt.lower())
    count = next((NUMBERS[w] for w in words if w in NUMBERS), 1)
    colour = next((w for w in words if w in PALETTE), None)
    shape = next((w.rstrip("s") for w in words if w.rstrip("s") in SHAPES or w in SHAPES), None)
    return count, colour, shape


def inside(kind, u, v):
    """Whether the point (u, v) of the unit box [-1, 1]^2 is inside the shape."""
    if kind == "circle":
        return u * u + v * v <= 1
    if kind == "square":
        return abs(u) <= 0.9 and abs(v) <= 0.9
    if kind == "diamond":
        return abs(u) + abs(v) <= 1
    if kind == "triangle":
        return -1 <= v <= 1 and abs(u) <= (v + 1) / 2
    if kind == "ring":
        return 0.3 <= u * u + v * v <= 1
    if kind == "cross":
        return (abs(u) <= 0.33 and abs(v) <= 1) or (abs(v) <= 0.33 and abs(u) <= 1)
    if kind == "heart":
        lobes = (u + 0.5) ** 2 + (v + 0.35) ** 2 <= 0.26 or (u - 0.5) ** 2 + (v + 0.35) ** 2 <= 0.26
        return lobes or (-0.35 <= v <= 1 and abs(u) <= (1 - v) * 0.74)
    # star: a five-pointed polygon, by counting the edges a ray to the right crosses
    crossings = 0
    for (x0, y0), (x1, y1) in zip(STAR, STAR[1:] + STAR[:1]):
        if (y0 > v) != (y1 > v) and u < x0 + (v - y0) * (x1 - x0) / (y1 - y0):
            crossings += 1
    return crossings % 2 == 1


def draw_scene(rng, prompt, faithful):
    """A scene for the prompt: right in count, colour and shape each with probability `faithful`."""
    count, colour, shape = parse_prompt(prompt)
    if rng.random() > faithful:
        count = max(1, count + rng.choice([-1, 1]))
    objects = []
    for _ in range(count):
        kind = shape if shape and rng.random() < faithful else rng.choice(SHAPES)
        hue = colour if colour and rng.random() < faithful else rng.choice(COLOURS)
        r = rng.uniform(5, 9)
        objects.append((kind, hue, rng.uniform(r + 1, SIZE - r - 1), rng.uniform(r + 1, SIZE - r - 1), r))
    return objects


def render(objects):
    img = bytearray(bytes(BACKGROUND) * (SIZE * SIZE))
    for kind, hue, cx, cy, r in objects:
        rgb = bytes(PALETTE[hue])
        for y in range(max(0, int(cy - r)), min(SIZE, int(cy + r) + 1)):
            for x in range(max(0, int(cx - r)), min(SIZE, int(cx + r) + 1)):
                if inside(kind, (x + 0.5 - cx) / r, (y + 0.5 - cy) / r):
                    i = (y * SIZE + x) * 3
                    img[i : i + 3] = rgb
    return img


def cell_pixels(c):
    """The byte offsets of cell c's rows in an image."""
    cy, cx = divmod(c, GRID)
    return [((cy * CELL + dy) * SIZE + cx * CELL) * 3 for dy in range(CELL)]


def cell_token(img, c):
    """A cell's token: 1 + the palette index of its commonest non-background colour, 0 for background."""
    counts = {}
    for o in cell_pixels(c):
        for x in range(CELL):
            rgb = tuple(img[o + 3 * x : o + 3 * x + 3])
            counts[rgb] = counts.get(rgb, 0) + 1
    colours = [(n, rgb) for rgb, n in counts.items() if rgb != BACKGROUND]
    if not colours:
        return 0
    best = max(colours)[1]
    return 1 + next((k for k, h in enumerate(COLOURS) if PALETTE[h] == best), len(COLOURS))


def masked_after(t, steps, length, unknown):
    """Positions left masked after step t of T (the cosine schedule of MaskGIT and Show-o)."""
    if t >= steps - 1:
        return 0
    n = math.floor(length * math.cos(math.pi / 2 * (t + 1) / steps))
    return max(1, min(unknown - 1, n))


class Path:
    """One decoding path: its stream, its scene, the cells fixed so far and their pixels."""

    def __init__(self, seed, rng, scene, image, fixed, step):
        self.seed, self.rng, self.scene, self.image, self.fixed, self.step = seed, rng, scene, image, fixed, step
        self.clean = render(scene)
        self.prediction = None  # (step, pixels, tokens) of the latest step

    @classmethod
    def fresh(cls, seed, prompt, faithful):
        rng = random.Random(seed)
        return cls(seed, rng, draw_scene(rng, prompt, faithful), bytearray(bytes(BACKGROUND) * (SIZE * SIZE)), set(), 0)

    def copy(self):
        """A copy that continues exactly: the stream's state included."""
        rng = random.Random()
        rng.setstate(self.rng.getstate())
        return Path(self.seed, rng, self.scene, bytearray(self.image), set(self.fixed), self.step)

    def branch(self, seed, prompt, faithful):
        """The same fixed cells and step, a stream of its own: the unfixed cells follow a scene of its own."""
        rng = random.Random(seed)
        return Path(seed, rng, draw_scene(rng, prompt, faithful), bytearray(self.image), set(self.fixed), self.step)

    def advance(self, steps):
        """One step: predict every cell (the unfixed ones shaded by uncertainty), then fix some; returns how many stay masked."""
        t = self.step
        unknown = [c for c in range(TOKENS) if c not in self.fixed]
        blur = 1 - (t + 1) / steps  # how unsure the unfixed cells still are
        pred = bytearray(self.image)
        for c in unknown:
            shade = self.rng.uniform(-1, 1) * 90 * blur
            for o in cell_pixels(c):
                for i in range(o, o + 3 * CELL):
                    pred[i] = min(255, max(0, round(self.clean[i] + shade)))
        keep = masked_after(t, steps, TOKENS, len(unknown))
        order = sorted(unknown, key=lambda c: self.rng.random())
        for c in order[keep:]:
            self.fixed.add(c)
            for o in cell_pixels(c):
                self.image[o : o + 3 * CELL] = self.clean[o : o + 3 * CELL]
        self.step = t + 1
        self.prediction = (t, bytes(pred), [cell_token(self.clean, c) if c in unknown else cell_token(self.image, c) for c in range(TOKENS)])
        return keep


class Session:
    """The paths of one prompt: added, stepped in lockstep, truncated, saved and restored."""

    def __init__(self, prompt, steps, cfg, faithful):
        self.prompt, self.steps, self.faithful = prompt, steps, faithful
        self.halves = 1 if cfg == 0 else 2  # a real model runs both CFG halves per path and step
        self.paths = {}
        self.snapshots = {}
        self.nfe = 0
        self.used = time.monotonic()

    def live(self):
        return {"live": list(self.paths)}

    def add(self, entries, source):
        ids = [e["id"] for e in entries]
        for i in ids:
            if i in self.paths or ids.count(i) > 1:
                raise bad(f"path {i} is live already: give each new path a free id")
        step = source.step if source else 0
        unfinished = {p.step for p in self.paths.values() if p.step < self.steps}
        if step < self.steps and unfinished and unfinished != {step}:
            raise bad(f"the unfinished paths are at step {min(unfinished)}; a new path at step {step} cannot join them (paths of a session move in lockstep)")
        for e in entries:
            if source is None:
                self.paths[e["id"]] = Path.fresh(e["seed"], self.prompt, self.faithful)
            elif "seed" in e:
                self.paths[e["id"]] = source.branch(e["seed"], self.prompt, self.faithful)
            else:
                self.paths[e["id"]] = source.copy()

    def step(self):
        results = []
        for i, p in self.paths.items():
            if p.step < self.steps:
                t = p.step
                results.append({"path": i, "step": t, "masked": p.advance(self.steps)})
        self.nfe += self.halves * len(results)
        return results

    def require(self, ids):
        gone = [i for i in ids if i not in self.paths]
        if gone:
            raise bad(f"path{'s' if len(gone) > 1 else ''} {', '.join(map(str, gone))} {'are' if len(gone) > 1 else 'is'} not live")

    def truncate(self, ids):
        self.require(ids)
        for i in ids:
            del self.paths[i]

    def snapshot(self, i):
        self.require([i])
        name = f"snap-{len(self.snapshots) + 1}"
        self.snapshots[name] = self.paths[i].copy()
        return {"snapshot": name, "path": i, "step": self.paths[i].step}

    def predictions(self, ids, include):
        self.require(ids)
        out = []
        for i in ids:
            pred = self.paths[i].prediction
            if pred is None:
                raise bad(f"path {i} has no prediction: it is not live, or has not stepped since it was added")
            out.append({"path": i, "step": pred[0], **wire(pred[1], pred[2], include)})
        return out

    def finals(self, ids, include):
        self.require(ids)
        out = []
        for i in ids:
            p = self.paths[i]
            if p.step < self.steps:
                raise bad(f"path {i} is not finished: {self.steps - p.step} of its {self.steps} steps are left")
            out.append({"path": i, **wire(p.image, [cell_token(p.image, c) for c in range(TOKENS)], include)})
        return out


def png(pixels):
    """RGB bytes of a SIZE x SIZE image as a PNG (zlib and struct only)."""
    raw = b"".join(b"\x00" + bytes(pixels[y * SIZE * 3 : (y + 1) * SIZE * 3]) for y in range(SIZE))

    def chunk(tag, data):
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def wire(pixels, tokens, include):
    out = {}
    if "png" in include:
        out["png"] = base64.b64encode(png(pixels)).decode("ascii")
    if "tokens" in include:
        out["tokens"] = tokens
    return out


# ---------------------------------------------------------------------------------------------
# Request checks: the same answers as imagecot's schemas (400 with what is wrong).
# ---------------------------------------------------------------------------------------------


def fields(body, where, allowed, required=()):
    if not isinstance(body, dict):
        raise bad(f"{where} must be object")
    for k in body:
        if k not in allowed:
            raise bad(f"{where} must NOT have additional properties ('{k}')")
    for k in required:
        if k not in body:
            raise bad(f"{where} must have required property '{k}'")
    return body


def integer(v, where, lo, hi):
    if not isinstance(v, int) or isinstance(v, bool):
        raise bad(f"{where} must be integer")
    if v < lo or v > hi:
        raise bad(f"{where} must be >= {lo} and <= {hi}")
    return v


def number(v, where, lo, hi, above=False):
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        raise bad(f"{where} must be number")
    if (v <= lo if above else v < lo) or v > hi:
        raise bad(f"{where} must be {'>' if above else '>='} {lo} and <= {hi}")
    return v


def string(v, where, max_len):
    if not isinstance(v, str):
        raise bad(f"{where} must be string")
    if len(v) > max_len:
        raise bad(f"{where} must NOT have more than {max_len} characters")
    return v


def id_list(v, where, max_paths, min_items=0):
    if not isinstance(v, list) or len(v) < min_items or len(v) > max_paths:
        raise bad(f"{where} must be an array of {min_items} to {max_paths} path ids")
    ids = [integer(x, f"{where}.{k}", 0, MAX_ID) for k, x in enumerate(v)]
    if len(set(ids)) != len(ids):
        raise bad(f"{where} must NOT have duplicate items")
    return ids


def include_of(body, default):
    inc = body.get("include", default)
    if not isinstance(inc, list) or any(x not in ("png", "tokens") for x in inc):
        raise bad("body.include must be an array of 'png' and 'tokens'")
    return inc


# ---------------------------------------------------------------------------------------------
# The HTTP part: routes, sessions by id, the session cap (429) and the idle timeout.
# ---------------------------------------------------------------------------------------------


class StepServer:
    def __init__(self, max_sessions, idle_seconds, max_paths, default_steps):
        self.max_sessions, self.idle, self.max_paths, self.default_steps = max_sessions, idle_seconds, max_paths, default_steps
        self.sessions = {}
        self.lock = threading.Lock()  # one call at a time: the toy is quick, a real model has one GPU anyway

    def info(self):
        return {
            "protocol": PROTOCOL,
            "generator": "toy shapes (examples/python-step-server)",
            "tokens": True,
            "maxPaths": self.max_paths,
            "maxSessions": self.max_sessions,
            "sessionIdleSeconds": self.idle,
            "steps": self.default_steps,
        }

    def expire(self):
        now = time.monotonic()
        for sid in [s for s, v in self.sessions.items() if now - v.used > self.idle]:
            del self.sessions[sid]

    def session(self, sid):
        s = self.sessions.get(sid)
        if s is None:
            raise ProtocolError(404, f"no step session '{sid}' (closed, or idle for more than {self.idle} s)")
        s.used = time.monotonic()
        return s

    def open(self, body):
        b = fields(body, "body", {"prompt", "steps", "cfg", "temperature", "confidenceTemperature", "flatPenalty", "correction"}, ["prompt"])
        prompt = string(b["prompt"], "body.prompt", 200)
        if not prompt.strip():
            raise bad("the prompt is empty")
        steps = integer(b.get("steps", self.default_steps), "body.steps", 1, MAX_STEPS)
        cfg = number(b.get("cfg", 1.75), "body.cfg", 0, 100)
        number(b.get("temperature", 1), "body.temperature", 0, 100, above=True)
        number(b.get("confidenceTemperature", 4.5), "body.confidenceTemperature", 0, 100)
        # this generator's tokenizer has no flat-background code: the penalty is checked, then unused
        number(b.get("flatPenalty", 0), "body.flatPenalty", 0, 100)
        faithful = 0.8
        if "correction" in b:
            c = fields(b["correction"], "body.correction", {"reason", "previous"}, ["reason", "previous"])
            string(c["reason"], "body.correction.reason", 1000)
            prev = fields(c["previous"], "body.correction.previous", {"session", "snapshot"}, ["session", "snapshot"])
            source = self.sessions.get(prev["session"])
            if source is None or prev["snapshot"] not in source.snapshots:
                raise bad(f"body.correction.previous: no snapshot '{prev['snapshot']}' in an open session '{prev['session']}'")
            # the toy's self-correction: a second attempt follows the prompt more closely
            faithful = 0.95
        if len(self.sessions) >= self.max_sessions:
            raise ProtocolError(429, f"{len(self.sessions)} step sessions are open, the most this server holds; close one (DELETE) or try again shortly")
        sid = uuid.uuid4().hex
        self.sessions[sid] = Session(prompt, steps, cfg, faithful)
        return 201, {"session": sid, "steps": steps}

    def call(self, s, op, body):
        if op == "paths":
            b = fields(body, "body", {"paths", "from"}, ["paths"])
            entries = b["paths"]
            if not isinstance(entries, list) or not 1 <= len(entries) <= self.max_paths:
                raise bad(f"body.paths must be an array of 1 to {self.max_paths} paths")
            for k, e in enumerate(entries):
                fields(e, f"body.paths.{k}", {"id", "seed"}, ["id"])
                integer(e["id"], f"body.paths.{k}.id", 0, MAX_ID)
                if "seed" in e:
                    integer(e["seed"], f"body.paths.{k}.seed", 0, MAX_SEED)
            if len(s.paths) + len(entries) > self.max_paths:
                raise bad(f"a session holds at most {self.max_paths} live paths; this would make {len(s.paths) + len(entries)}")
            seeded = sum("seed" in e for e in entries)
            source = None
            if "from" in b:
                source = s.snapshots.get(b["from"])
                if source is None:
                    raise bad(f"body.from: no snapshot '{b['from']}' in this session")
                if 0 < seeded < len(entries):
                    raise bad("body.paths: from a snapshot, give every path a seed (branches) or none (resumes)")
            elif seeded < len(entries):
                raise bad("body.paths: a fresh path needs a seed (or give body.from to resume a snapshot)")
            s.add(entries, source)
            return s.live()
        if op == "step":
            b = fields(body, "body", {"include"})
            include = include_of(b, [])  # predictions inline only when asked
            results = s.step()
            if include:
                for r in results:
                    r.update(s.predictions([r["path"]], include)[0])
            return {"results": results, "nfe": s.nfe}
        if op in ("predictions", "finals"):
            b = fields(body, "body", {"ids", "include"}, ["ids"])
            ids = id_list(b["ids"], "body.ids", self.max_paths, 1)
            include = include_of(b, ["png"])
            return {op: (s.predictions if op == "predictions" else s.finals)(ids, include)}
        if op == "truncate":
            b = fields(body, "body", {"ids"}, ["ids"])
            s.truncate(id_list(b["ids"], "body.ids", self.max_paths))
            return s.live()
        if op == "snapshots":
            b = fields(body, "body", {"id"}, ["id"])
            return s.snapshot(integer(b["id"], "body.id", 0, MAX_ID))
        raise ProtocolError(404, f"no route POST /v1/steps/sessions/{{session}}/{op}")

    def handle(self, method, path, body):
        with self.lock:
            self.expire()
            if method == "GET" and path == "/v1/steps":
                return 200, self.info()
            if method == "POST" and path == "/v1/steps/sessions":
                return self.open(body)
            m = re.fullmatch(r"/v1/steps/sessions/([^/]{1,64})(?:/([a-z]+))?", path)
            if m and method == "DELETE" and m.group(2) is None:
                s = self.session(m.group(1))
                del self.sessions[m.group(1)]
                return 200, {"session": m.group(1), "nfe": s.nfe}
            if m and method == "POST" and m.group(2):
                return 200, self.call(self.session(m.group(1)), m.group(2), body)
            raise ProtocolError(404, f"no route {method} {path}")


def handler(server):
    class Handler(BaseHTTPRequestHandler):
        def answer(self, status, payload, headers=()):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def serve(self, method):
            try:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else {}
                except ValueError:
                    raise bad("the body is not JSON")
                status, payload = server.handle(method, self.path.split("?")[0], body)
                self.answer(status, payload)
            except ProtocolError as e:
                names = {400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}
                self.answer(e.status, {"statusCode": e.status, "error": names.get(e.status, "Error"), "message": e.message}, [("retry-after", "1")] if e.status == 429 else [])

        def do_GET(self):
            self.serve("GET")

        def do_POST(self):
            self.serve("POST")

        def do_DELETE(self):
            self.serve("DELETE")

        def log_message(self, *args):
            pass  # quiet: a step server answers many small requests

    return Handler


def main():
    ap = argparse.ArgumentParser(description="A toy generator behind imagecot's HTTP step protocol (standard library only).")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=9000, help="0: any free port (the one chosen is printed)")
    ap.add_argument("--max-sessions", type=int, default=16)
    ap.add_argument("--max-paths", type=int, default=32)
    ap.add_argument("--session-idle", type=float, default=120, help="seconds")
    ap.add_argument("--steps", type=int, default=18, help="decoding steps of a session that names none")
    a = ap.parse_args()
    server = StepServer(a.max_sessions, a.session_idle, a.max_paths, a.steps)
    httpd = ThreadingHTTPServer((a.host, a.port), handler(server))
    print(f"listening on http://{a.host}:{httpd.server_address[1]}", flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    sys.exit(main())
