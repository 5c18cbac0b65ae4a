#!/usr/bin/env bash
# Regenerate sdk/ (TypeScript, Python, Go) from the plugin's package schema with `pulumi package gen-sdk`.
#
# Needs the Pulumi engine with the language hosts (scripts/pulumi-engine.sh builds both) and the plugin of this
# checkout on PATH (`pip install -e .`). Each language's folder is replaced as a whole, so CI can check that a
# regeneration changes nothing: `bash scripts/gen-sdk.sh && git status --porcelain sdk/` prints nothing.
# The SDKs are generated `--local`: the TypeScript one compiles itself when installed from its folder.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(bash "$root/scripts/pulumi-engine.sh")"
for host in pulumi-language-nodejs pulumi-language-python pulumi-language-go; do
  [ -x "$bin/$host" ] || { echo "gen-sdk: no $host beside pulumi in $bin (see scripts/pulumi-engine.sh)" >&2; exit 1; }
done
plugin="$(command -v pulumi-resource-modelarts)" || {
  echo "gen-sdk: pulumi-resource-modelarts is not on PATH (pip install -e . in this checkout)" >&2
  exit 1
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export PATH="$bin:$PATH" PULUMI_HOME="$work/home" PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true

pulumi package get-schema "$plugin" >"$work/schema.json"
for language in nodejs python go; do
  pulumi package gen-sdk "$work/schema.json" --language "$language" --local --out "$work/sdk" >"$work/log" 2>&1 \
    || { cat "$work/log" >&2; exit 1; }
  rm -rf "${root:?}/sdk/$language"
  mkdir -p "$root/sdk"
  cp -R "$work/sdk/$language" "$root/sdk/$language"
  chmod -R u=rwX,go=rX "$root/sdk/$language"
done
echo "gen-sdk: sdk/nodejs sdk/python sdk/go regenerated from the schema of $plugin" >&2
