#!/bin/sh
# The one set-up step behind `npm test`, `npm run demo`, `npm run bench` and .ci/run, for a fresh Debian
# machine. Each piece is installed only when missing, so a second run is a quick no-op that prints nothing:
#   1. Node >= 22: when the `node` on PATH is older, Node 24 from the npm registry into ~/.node24, put
#      first on PATH;
#   2. the Debian packages (apt-get, as root): slapd, ldap-utils and, unless --ldap-only, systemd
#      (systemd-analyze), faketime and chromium;
#   3. `npm ci` when node_modules is missing or older than package-lock.json;
#   4. with --build, `npm run build`;
#   5. then the command after the options, if any, with that Node first on PATH.
#
# usage: sh scripts/bootstrap.sh [--ldap-only] [--build] [--] [command [args...]]
#        sh scripts/bootstrap.sh [--ldap-only] --check       changes nothing; prints the command for each
#                                                           missing piece and exits 1 if there is one
#        sh scripts/bootstrap.sh --print-path               sets up, then prints the PATH to use
set -eu

check=
build=
ldap_only=
print_path=
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=1 ;;
    --build) build=1 ;;
    --ldap-only) ldap_only=1 ;;
    --print-path) print_path=1 ;;
    --) shift; break ;;
    -*) echo "bootstrap: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done

cd "$(dirname "$0")/.."
missing=

# Progress goes to stderr, so that stdout stays the command's (and --print-path's) own.
say() { echo "bootstrap: $*" >&2; }

# cannot MESSAGE: what the user has to do; ends the set-up (--check goes on to name the rest).
cannot() {
  if [ -n "$check" ]; then
    echo "bootstrap: $*"
    missing=1
  else
    echo "bootstrap: $*" >&2
    exit 1
  fi
}

# step WHAT COMMAND...: runs COMMAND, or with --check only names it.
step() {
  what=$1
  shift
  if [ -n "$check" ]; then
    echo "bootstrap: $what: $*"
    missing=1
  else
    say "$what: $*"
    "$@" >&2
  fi
}

# The major version of the node at $1 (0 when there is none); `node --version` starts no JavaScript.
node_major() {
  version=$("$1" --version 2>/dev/null) || version=v0
  version=${version#v}
  echo "${version%%.*}"
}

# 1. Node
node24="${HOME:?}/.node24/node_modules/.bin"
if [ "$(node_major node)" -lt 22 ]; then
  if [ "$(node_major "$node24/node")" -lt 22 ]; then
    # npm 11 warns that node@24's preinstall script is not allowed to run; the package works without it.
    step "Node >= 22 is missing" npm install --prefix "$HOME/.node24" --no-audit --no-fund node@24
    if [ -z "$check" ] && [ "$(node_major "$node24/node")" -lt 22 ]; then
      cannot "Node 24 did not install into ~/.node24; install Node >= 22 (https://nodejs.org) and run this again"
    fi
  fi
  PATH="$node24:$PATH"
  export PATH
  # Set by an npm that started under the old Node; whatever reads them should see the new one.
  [ -z "${npm_node_execpath:-}" ] || npm_node_execpath="$node24/node"
  [ -z "${NODE:-}" ] || NODE="$node24/node"
fi

# 2. Debian packages, each known by a command it installs (OpenLDAP's servers live in sbin, which a normal
# user's PATH may lack).
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/local/sbin/$1" ]; }
packages=
need() { have "$2" || packages="$packages $1"; }
need slapd slapd
need ldap-utils ldapadd
if [ -z "$ldap_only" ]; then
  need systemd systemd-analyze # test/integration/systemd.test.ts
  need faketime faketime
  need chromium chromium
fi
packages=${packages# }
if [ -n "$packages" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    cannot "missing $packages and no apt-get here; install them with your system's package manager"
  elif [ "$(id -u)" != 0 ]; then
    cannot "missing Debian packages; run: sudo apt-get update && sudo apt-get install -y $packages"
  else
    step "updating the package lists" apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    step "missing Debian packages" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages
  fi
fi

# 3. node_modules: npm writes node_modules/.package-lock.json last, so it dates the whole install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "node_modules is missing or older than package-lock.json" npm ci --no-audit --no-fund
fi

if [ -n "$check" ]; then
  [ -z "$missing" ]
  exit
fi

# 4. build
if [ -n "$build" ]; then
  npm run --silent build >&2
fi

# 5. the command
if [ -n "$print_path" ]; then
  echo "$PATH"
elif [ $# -gt 0 ]; then
  exec "$@"
fi
