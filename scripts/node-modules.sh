#!/usr/bin/env bash
# Install a Node project's dependencies (examples/typescript) once into a cache outside the checkout, and print the
# node_modules folder to link into the project. Keyed by the project's package files and by sdk/nodejs, which the
# project installs from its folder (`.npmrc`: install-links, so the SDK is copied and compiled by its postinstall
# `tsc`; an SDK that does not compile fails the install). npm's own cache (~/.npm) makes a new key cheap.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$(cd "${1:?usage: node-modules.sh PROJECT_DIR}" && pwd)"
relative="${project#"$root"/}"
key="$(cd "$root" && { cat "$relative/package.json" "$relative/package-lock.json" "$relative/.npmrc"
  find sdk/nodejs -type f ! -path '*/node_modules/*' ! -path '*/bin/*' | sort | xargs cat; } | sha256sum | cut -c1-16)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-modelarts/node/$key"

if [ ! -d "$cache/$relative/node_modules" ]; then
  command -v npm >/dev/null || { echo "node-modules: npm is not installed" >&2; exit 1; }
  mkdir -p "${cache%/*}"
  work="$(mktemp -d "$cache.tmp.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/$relative"
  cp "$project/package.json" "$project/package-lock.json" "$project/.npmrc" "$work/$relative/"
  ln -s "$root/sdk" "$work/sdk"  # the relative file: dependency resolves as it does in the checkout
  echo "node-modules: npm ci for $relative into $cache" >&2
  (cd "$work/$relative" && npm ci --no-audit --no-fund --loglevel=error) >&2
  mv -T "$work" "$cache" 2>/dev/null || true  # another run may have finished first: keep its folder
fi
echo "$cache/$relative/node_modules"
