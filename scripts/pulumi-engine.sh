#!/usr/bin/env bash
# Put a working Pulumi engine into .pulumi-engine/bin of this checkout (git-ignored) and print that folder.
#
# Order of preference:
#   1. a `pulumi` already on PATH whose version is at least $PULUMI_ENGINE_MIN_VERSION: its folder is printed;
#   2. binaries built earlier on this machine (a cache outside the checkout, so fresh clones such as CI reuse it);
#   3. a build from Pulumi's published Go modules with the ordinary `go` commands (cold: several minutes on 2 cores;
#      Go's module and build caches are kept, so a rebuild only links).
# Nothing of Pulumi's source or binaries is committed: the build happens in a throwaway wrapper module.
#
# What lands in the folder:
#   pulumi                          the CLI (module github.com/pulumi/pulumi/pkg/v3, package cmd/pulumi)
#   pulumi-resource-pulumi-python   the dynamic-provider plugin (a script shipped in the sdk/v3 module)
#   pulumi-language-python-exec     the program launcher (a script shipped in the sdk/v3 module)
#   pulumi-language-python          the Python language host, when its module version resolves (see below)
#   pulumi-language-yaml            the YAML language host (module github.com/pulumi/pulumi-yaml)
#   pulumi-language-{python,nodejs,go}
#                                   the language hosts `pulumi package gen-sdk` and project folders of those
#                                   languages need, built with the build.sh of a folder of their sources
#                                   ($PULUMI_LANGUAGE_HOSTS_SRC, default ../shared/pulumi-language-hosts beside the
#                                   checkout); without that folder they are skipped with a message
#
# The Python language host is the separate, untagged module
# github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3. It is built only when
# PULUMI_LANGUAGE_PYTHON_VERSION names a pseudo-version the module proxy serves; without it, Python programs run
# through the Automation API's inline mode (`pulumi ... --client=<address>`), which needs no language host binary.
set -euo pipefail

PULUMI_ENGINE_VERSION="${PULUMI_ENGINE_VERSION:-3.274.1}"
PULUMI_YAML_VERSION="${PULUMI_YAML_VERSION:-1.25.0}"
PULUMI_ENGINE_MIN_VERSION="${PULUMI_ENGINE_MIN_VERSION:-3.181.0}"
PULUMI_LANGUAGE_PYTHON_VERSION="${PULUMI_LANGUAGE_PYTHON_VERSION:-}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hosts_src="${PULUMI_LANGUAGE_HOSTS_SRC:-$root/../shared/pulumi-language-hosts}"
dest="$root/.pulumi-engine/bin"
cache="${PULUMI_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-modelarts/engine-$PULUMI_ENGINE_VERSION}"

say() { echo "pulumi-engine: $*" >&2; }

version_at_least() { # $1 >= $2, both x.y.z
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# 1. A recent enough pulumi on PATH (not our own folder).
if existing="$(command -v pulumi 2>/dev/null)" && [ "$(dirname "$existing")" != "$dest" ]; then
  found="$("$existing" version 2>/dev/null | sed 's/^v//')" || found=""
  if [ -n "$found" ] && version_at_least "${found%%-*}" "$PULUMI_ENGINE_MIN_VERSION"; then
    say "using pulumi $found on PATH"
    dirname "$existing"
    exit 0
  fi
fi

# 2./3. The cache, built when missing.
if [ ! -x "$cache/bin/pulumi" ] || [ ! -x "$cache/bin/pulumi-resource-pulumi-python" ]; then
  command -v go >/dev/null || { say "no pulumi on PATH and no Go toolchain to build one"; exit 1; }
  say "building pulumi $PULUMI_ENGINE_VERSION from Go modules into $cache (cold: minutes)"
  mkdir -p "$cache/bin" "$cache/build-cli" "$cache/build-yaml"
  export GOFLAGS=-mod=mod GOTOOLCHAIN=local

  (
    cd "$cache/build-cli"
    [ -f go.mod ] || go mod init pulumi-modelarts/engine-build >/dev/null 2>&1
    go get "github.com/pulumi/pulumi/pkg/v3@v$PULUMI_ENGINE_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_ENGINE_VERSION" >&2
    targets=(github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
    if [ -n "$PULUMI_LANGUAGE_PYTHON_VERSION" ]; then
      go get "github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3@$PULUMI_LANGUAGE_PYTHON_VERSION" >&2
      targets+=(github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3)
    fi
    go build -trimpath -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_ENGINE_VERSION" \
      -o "$cache/bin/" "${targets[@]}" >&2
    sdk="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)"
    install -m 0755 "$sdk/python/dist/pulumi-resource-pulumi-python" "$cache/bin/"
    install -m 0755 "$sdk/python/cmd/pulumi-language-python-exec" "$cache/bin/"
  )

  (
    cd "$cache/build-yaml"
    [ -f go.mod ] || go mod init pulumi-modelarts/engine-build-yaml >/dev/null 2>&1
    if go get "github.com/pulumi/pulumi-yaml@v$PULUMI_YAML_VERSION" >&2 \
      && go build -trimpath -o "$cache/bin/" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml >&2; then
      :
    else
      say "the YAML language host did not build; Pulumi YAML programs will be skipped"
    fi
  )
fi

# The language hosts, cached per version of their sources (the go.mod files name the Pulumi modules they build on).
hosts=""
if [ -x "$hosts_src/build.sh" ]; then
  key="$(cat "$hosts_src"/build.sh $(find "$hosts_src/sdk" -name go.mod | sort) | sha256sum | cut -c1-12)"
  hosts="$cache/language-hosts-$key"
  if [ ! -x "$hosts/pulumi-language-nodejs" ]; then
    command -v go >/dev/null || { say "no Go toolchain to build the language hosts"; exit 1; }
    say "building the language hosts from $hosts_src into $hosts (cold: a minute or two)"
    bash "$hosts_src/build.sh" "$hosts" >/dev/null
  fi
else
  say "no language host sources at $hosts_src (set PULUMI_LANGUAGE_HOSTS_SRC): \`pulumi package gen-sdk\` and" \
    "the TypeScript, Go and Python project tests are skipped"
fi

mkdir -p "$dest"
rm -f "$dest"/*  # exactly what is built: no language host left over from an earlier run
for tool in "$cache"/bin/* ${hosts:+"$hosts"/*}; do
  cp -f "$tool" "$dest/"
done
say "pulumi $("$dest/pulumi" version 2>/dev/null) in $dest"
echo "$dest"
