#!/usr/bin/env bash
# Makes sure the system tools the test suite talks to are installed: the
# reference servers and validators (NSD, Knot, delv, ldns-verify-zone), Redis,
# dnsperf, git and openssl, and a C compiler for the batched-UDP addon
# (scripts/build-native.mjs). As root it installs what is missing with apt-get;
# otherwise it prints the one command to run and fails, so a test run never
# silently skips the comparisons that make it worth running.
set -euo pipefail

# tool:package pairs; a tool counts as present in PATH or in /usr/sbin.
TOOLS="nsd:nsd nsd-control:nsd knotd:knot knotc:knot kdig:knot-dnsutils dig:bind9-dnsutils delv:bind9-dnsutils
ldns-verify-zone:ldnsutils dnsperf:dnsperf redis-server:redis-server redis-sentinel:redis-sentinel git:git openssl:openssl cc:gcc"

need=()
for pair in $TOOLS; do
  bin=${pair%%:*}; pkg=${pair##*:}
  if ! command -v "$bin" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$bin" ]; then
    case " ${need[*]-} " in *" $pkg "*) ;; *) need+=("$pkg") ;; esac
  fi
done
# The C library headers the addon includes (gcc only recommends them).
[ -f /usr/include/stdio.h ] || need+=(libc6-dev)
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "missing test tools; install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
echo "installing test tools: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q "${need[@]}"
# Debian starts the packaged daemons on install; the tests run their own on loopback ports.
for svc in nsd knot redis-server redis-sentinel; do
  (service "$svc" stop >/dev/null 2>&1 || true)
done
