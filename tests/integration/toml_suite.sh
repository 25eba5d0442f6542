#!/usr/bin/env bash
# toml_suite.sh - run the public toml-test suite (decoder half) against
# `aegis toml-decode` and print the pass rate.
#
# Usage: tests/integration/toml_suite.sh TESTS_DIR [AEGIS_BIN]
#   TESTS_DIR  a toml-test "tests" directory: valid/**.toml (+ .json beside
#              each) and invalid/**.toml. If TESTS_DIR/files-toml-1.0.0
#              exists, only the files it lists are run (TOML 1.0.0 scope).
#   AEGIS_BIN  the aegis CLI (default: build/bin/aegis)
# Env: VERBOSE=1 prints every failure.
#
# Comparison follows toml-test's rules: same JSON shape, same "type" tags,
# strings byte-exact, integers and floats compared as numbers (inf/nan by
# name), date/times compared field by field after normalising the 't'/' '
# separator and 'z'. Invalid tests pass when the decoder exits non-zero.
# The suite itself is not vendored: no registry package ships it (the npm
# package "toml-test" is only a launcher that downloads a binary).
set -u
dir=${1:?usage: toml_suite.sh TESTS_DIR [AEGIS_BIN]}
bin=${2:-build/bin/aegis}
[ -d "$dir/valid" ] || { echo "toml_suite: $dir/valid not found" >&2; exit 2; }
[ -x "$bin" ] || { echo "toml_suite: $bin not executable (build first)" >&2; exit 2; }
exec python3 - "$dir" "$bin" <<'PY'
import json, math, os, re, subprocess, sys

tests_dir, aegis = sys.argv[1], sys.argv[2]
verbose = os.environ.get("VERBOSE") == "1"

scope = None
lst = os.path.join(tests_dir, "files-toml-1.0.0")
if os.path.exists(lst):
    scope = set(l.strip() for l in open(lst) if l.strip().endswith(".toml"))

def files(kind):
    out = []
    for root, _, names in os.walk(os.path.join(tests_dir, kind)):
        for n in names:
            if n.endswith(".toml"):
                rel = os.path.relpath(os.path.join(root, n), tests_dir)
                if scope is None or rel in scope:
                    out.append(rel)
    return sorted(out)

DT = re.compile(r"^(?:(\d{4})-(\d{2})-(\d{2}))?[Tt ]?(?:(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:\d{2})?$")

def norm_dt(s):
    m = DT.match(s)
    if not m:
        return ("raw", s)
    g = list(m.groups())
    frac = (g[6] or "").ljust(9, "0")[:9]
    off = g[7]
    if off in ("Z", "z"):
        off = "+00:00"
    return tuple(g[:6]) + (frac, off)

def num(t, v):
    if t == "integer":
        return int(v)
    v = v.lower()
    if v in ("inf", "+inf"):
        return math.inf
    if v == "-inf":
        return -math.inf
    if v in ("nan", "+nan", "-nan"):
        return "nan"
    return float(v)

def same(a, b):
    if isinstance(a, dict) and set(a.keys()) == {"type", "value"} and isinstance(a.get("type"), str) \
            and not isinstance(a.get("value"), (dict, list)):
        if not (isinstance(b, dict) and set(b.keys()) == {"type", "value"}):
            return False
        if a["type"] != b["type"]:
            return False
        t = a["type"]
        if t in ("integer", "float"):
            try:
                return num(t, a["value"]) == num(t, b["value"])
            except ValueError:
                return False
        if t in ("datetime", "datetime-local", "date-local", "time-local"):
            return norm_dt(a["value"]) == norm_dt(b["value"])
        return a["value"] == b["value"]
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b

def run(path):
    with open(os.path.join(tests_dir, path), "rb") as f:
        data = f.read()
    try:
        p = subprocess.run([aegis, "toml-decode"], input=data, capture_output=True, timeout=10)
    except subprocess.TimeoutExpired:
        return None, b"timeout"
    return p.returncode, p.stdout if p.returncode == 0 else p.stderr

ok_v = ok_i = 0
valid, invalid = files("valid"), files("invalid")
fails = []
for t in valid:
    rc, out = run(t)
    want_path = os.path.join(tests_dir, t[:-5] + ".json")
    if not os.path.exists(want_path):
        continue
    want = json.load(open(want_path, encoding="utf-8"))
    if rc == 0:
        try:
            got = json.loads(out.decode("utf-8"))
        except Exception as e:
            got = None
        if got is not None and same(want, got):
            ok_v += 1
            continue
    fails.append((t, rc, out[:300]))
for t in invalid:
    rc, out = run(t)
    if rc not in (0, None) and b"Sanitizer" not in out:
        ok_i += 1
    else:
        fails.append((t, rc, out[:300]))
if verbose:
    for t, rc, out in fails:
        print(f"FAIL {t} rc={rc}: {out.decode('utf-8', 'replace').strip()}")
nv, ni = len(valid), len(invalid)
print(f"toml-test: valid {ok_v}/{nv}, invalid {ok_i}/{ni}, total {ok_v + ok_i}/{nv + ni}"
      f" ({100.0 * (ok_v + ok_i) / max(1, nv + ni):.1f}%)")
sys.exit(0 if ok_v + ok_i == nv + ni else 1)
PY
