# Shared by the service scripts in infra/ (sourced, not run). The sourcing script defines
# `log` and, for the pid-file helpers, PIDFILE.

# Downloads and builds (broker jars, the registry app, its Java runtime) live in a per-user
# cache outside the checkout, so a fresh clone reuses them: ERA_CACHE_DIR, default
# ${XDG_CACHE_HOME:-$HOME/.cache}/era-ingest. Each entry is named <name>-<version> and marked
# complete only after it was fetched whole. Running state (data, logs, pid files) stays in the
# checkout (ERA_STATE_DIR, default <repo>/.cache/state), so each clone runs its own services.
ERA_CACHE=${ERA_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/era-ingest}

# Serialises concurrent start/stop calls of one service (several test runs at once) with a
# lock file held on fd 9; background servers must be started with `9>&-` so they do not inherit it.
lock() {
  local dir="${ERA_STATE_DIR:-${TMPDIR:-/tmp}}"
  mkdir -p "$dir"
  exec 9>"$dir/era-ingest-$1.lock"
  flock -w 600 9
}

# Serialises fetches into the shared per-user cache (clones and CI runs at once) with a lock
# file in the cache, held on fd 8 for the rest of the script; background servers start with
# `8>&- 9>&-`. Fetches are long (a broker classpath, an Ollama build): wait up to an hour.
lock_cache() {
  mkdir -p "$ERA_CACHE"
  exec 8>"$ERA_CACHE/.$1.lock"
  flock -w 3600 8
}

running() { [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; }

# SIGTERM the process in PIDFILE, then SIGKILL after 30 s.
stop_pidfile() {
  if ! running; then log "not running"; rm -f "$PIDFILE"; return 0; fi
  local pid; pid=$(cat "$PIDFILE")
  kill -TERM "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PIDFILE"; log "stopped"; return 0; }
    sleep 0.5
  done
  log "did not stop within 30 s; killing"; kill -KILL "$pid" 2>/dev/null || true; rm -f "$PIDFILE"
}
