#!/usr/bin/env bash
# Builds the function for arm64 with cargo-lambda (through `sam build`) and deploys the stack
# in deploy/template.yaml with `sam deploy`. See docs/deploy.md.
#
#   deploy/deploy.sh --guided              first deploy: SAM asks for every parameter and
#                                          saves the answers to deploy/samconfig.toml
#   deploy/deploy.sh                       build and deploy with deploy/samconfig.toml
#   deploy/deploy.sh AlarmEmail=ops@example.com ApiAuth=IAM
#                                          override template parameters for this deploy
#   PARAM_AlarmEmail=ops@example.com deploy/deploy.sh
#                                          the same, from the environment
#   deploy/deploy.sh --build-only          sam build only (target/sam/build)
#   deploy/deploy.sh --no-build            deploy the last build
#   deploy/deploy.sh --config-env prod     use the [prod.*] tables of the config file
#   deploy/deploy.sh -- --no-confirm-changeset
#                                          everything after -- goes to `sam deploy`
#
# Template parameters, later wins: parameter_overrides of the config file < PARAM_<Name>
# environment variables < Name=Value arguments. Other environment: SAMCONFIG (config file,
# default deploy/samconfig.toml), STACK_NAME, and the AWS CLI's usual AWS_PROFILE/AWS_REGION.
# Needs: sam (AWS SAM CLI), cargo, cargo-lambda (`pip install cargo-lambda`), python3 >= 3.11.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

config=${SAMCONFIG:-$root/deploy/samconfig.toml}
case "$config" in /*) ;; *) config="$root/$config" ;; esac
config_env=default
guided=false
build=true
deploy=true
overrides=()
extra=()
while (($#)); do
  case "$1" in
    --guided | -g) guided=true ;;
    --config-env) config_env=${2:?--config-env needs a name}; shift ;;
    --build-only) deploy=false ;;
    --no-build) build=false ;;
    -h | --help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "deploy.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    [A-Za-z]*=*) overrides+=("$1") ;;
    *) echo "deploy.sh: expected Name=Value, got $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

need() { command -v "$1" >/dev/null || { echo "deploy.sh needs $1 on PATH ($2)" >&2; exit 1; }; }
need python3 "python3 >= 3.11"
if $build; then
  need cargo "https://rustup.rs"
  need sam "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html"
  cargo lambda --version >/dev/null 2>&1 || { echo "deploy.sh needs cargo-lambda: pip install cargo-lambda" >&2; exit 1; }
fi
$deploy && need sam "https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html"

build_dir=$root/target/sam/build
if $build; then
  # rust-cargolambda is a SAM beta build method; it runs `cargo lambda build --release` for
  # arm64 in the repository (target/lambda/whatsapp-lambda/bootstrap).
  sam build --template-file "$root/deploy/template.yaml" --build-dir "$build_dir" --beta-features
fi
$deploy || exit 0
[ -f "$build_dir/template.yaml" ] || { echo "deploy.sh: no build in $build_dir; run without --no-build" >&2; exit 1; }

if [ ! -f "$config" ]; then
  if $guided; then
    : >"$config" # sam deploy --guided writes its answers here
  else
    echo "deploy.sh: $config is missing. Run deploy/deploy.sh --guided, or copy" >&2
    echo "deploy/samconfig.toml.example to deploy/samconfig.toml and fill it in." >&2
    exit 1
  fi
fi

# One Name="Value" line per parameter: the config file's parameter_overrides, then PARAM_*
# variables, then arguments. sam deploy's --parameter-overrides replaces the config file's list
# instead of merging with it, hence the merge here.
merged=$(
  python3 - "$config" "$config_env" "${overrides[@]}" <<'PY'
import os, re, shlex, sys, tomllib

path, env, args = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path, "rb") as f:
    doc = tomllib.load(f)

def unquote(v):
    return v[1:-1] if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'" else v

def entries(raw):
    if isinstance(raw, dict):
        return [f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in raw.items()]
    if isinstance(raw, list):
        return [str(x) for x in raw]
    return shlex.split(str(raw)) if raw else []

merged = {}
def put(item, origin):
    m = re.fullmatch(r"([A-Za-z0-9]+)=(.*)", item, re.S)
    if not m:
        sys.exit(f"deploy.sh: {origin}: expected Name=Value, got {item!r}")
    value = unquote(m.group(2))
    if '"' in value:
        sys.exit(f"deploy.sh: {origin}: {m.group(1)} contains a double quote")
    merged[m.group(1)] = value

section = doc.get(env, {})
for table in ("global", "deploy"):
    for item in entries(section.get(table, {}).get("parameters", {}).get("parameter_overrides")):
        put(item, f"{path} [{env}.{table}.parameters]")
for name, value in sorted(os.environ.items()):
    if name.startswith("PARAM_") and len(name) > 6:
        put(f"{name[6:]}={value}", name)
for item in args:
    put(item, "argument")
for name, value in merged.items():
    print(f'{name}="{value}"')
PY
)
params=()
while IFS= read -r line; do [ -z "$line" ] || params+=("$line"); done <<<"$merged"

args=(--template-file "$build_dir/template.yaml" --config-file "$config" --config-env "$config_env")
$guided && args+=(--guided)
[ -n "${STACK_NAME:-}" ] && args+=(--stack-name "$STACK_NAME")
((${#params[@]})) && args+=(--parameter-overrides "${params[@]}")
sam deploy "${args[@]}" "${extra[@]}"
