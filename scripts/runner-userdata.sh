#!/usr/bin/env bash
# Installs a verified docker-credential-ecr-login on a GitLab Runner manager (EC2 userdata, a launch
# template, or docker-machine's amazonec2-userdata). Paste it and set the two values below, or export them.
#
#   HELPER_URL   the helper-url Function URL (serverless deploy prints it)
#   AWS_REGION   the region of that function and of your ECR registries
#
# It signs the request with the instance role (IMDSv2), downloads the binary through a short-lived
# presigned URL, checks its sha256 before installing anything, installs it 0755, merges credHelpers
# entries for the ECR hosts the deployment manages (helper-url lists them) into the runner user's Docker
# config, keeping its other keys, gives the gitlab-runner service AWS_REGION through a systemd drop-in,
# and runs the helper once. Any failure exits non-zero and puts back what was there before: a helper
# binary, drop-in or config.json from an earlier run is restored, and only what this run created is removed.
#
# The Docker config goes to the runner user's home (~gitlab-runner/.docker/config.json): install GitLab
# Runner first (it creates the user), or set DOCKER_CONFIG_DIR to the directory the Runner reads.
#
# Why credHelpers and not credsStore: the Runner asks a credsStore for *all* credentials, and the
# helper's answer covers only the instance role's own registry in its default region. Other accounts and
# regions work only as credHelpers entries, host by host. HELPER_MODE=credsStore keeps that older setup.
set -euo pipefail

HELPER_URL="${HELPER_URL:-}"
AWS_REGION="${AWS_REGION:-}"
HELPER_VERSION="${HELPER_VERSION:-}"           # empty: the function's default version
HELPER_MODE="${HELPER_MODE:-credHelpers}"      # credHelpers (default) or credsStore
ECR_REGISTRIES="${ECR_REGISTRIES:-}"           # space-separated hosts for credHelpers; empty: the hosts helper-url lists
RUNNER_USER="${RUNNER_USER:-gitlab-runner}"
DOCKER_CONFIG_DIR="${DOCKER_CONFIG_DIR:-}"     # empty: ~RUNNER_USER/.docker
# Overridable so tests can run unprivileged in a temporary directory.
IMDS_ENDPOINT="${IMDS_ENDPOINT:-http://169.254.169.254}"
INSTALL_PREFIX="${INSTALL_PREFIX:-/usr/local/bin}"
SYSTEMD_DIR="${SYSTEMD_DIR:-/etc/systemd/system}"
SYSTEMCTL="${SYSTEMCTL:-systemctl}"
HELPER_ARCH="${HELPER_ARCH:-}"
JQ="${JQ:-jq}"
PYTHON="${PYTHON:-python3}"

BINARY=docker-credential-ecr-login
work="$(mktemp -d)"
installed=()    # files this run created
restores=()     # "backup|path" for files this run replaced
created_dirs=() # directories this run created, deepest first
reloaded=""     # set once systemd has read this run's drop-in

fail() {
  echo "runner-userdata: $*" >&2
  exit 1
}

# Undo every file this run put in place and put back what it replaced, so a failure never leaves a
# half-configured host, nor a runner without the helper, drop-in or Docker config it had before.
cleanup() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    for path in "${installed[@]+"${installed[@]}"}"; do rm -f "$path"; done
    for pair in "${restores[@]+"${restores[@]}"}"; do mv -f "${pair%%|*}" "${pair#*|}"; done
    for dir in "${created_dirs[@]+"${created_dirs[@]}"}"; do rmdir "$dir" 2>/dev/null || true; done
    if [ -n "$reloaded" ]; then "$SYSTEMCTL" daemon-reload || true; fi
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# mkdir -p that remembers which directories it created, so a failure removes them again.
make_dir() {
  local dir="$1" missing=()
  while [ ! -d "$dir" ]; do
    missing+=("$dir")
    dir="$(dirname "$dir")"
  done
  mkdir -p "$1"
  created_dirs=("${missing[@]+"${missing[@]}"}" "${created_dirs[@]+"${created_dirs[@]}"}")
}

# install(1) that first keeps the file it replaces (in $work, or at $4 when given) for a rollback.
put_in_place() {
  local source="$1" target="$2" mode="$3" backup="${4:-$work/backup.${#restores[@]}}"
  if [ -e "$target" ]; then
    cp -p "$target" "$backup"
    restores+=("$backup|$target")
  else
    installed+=("$target")
  fi
  install -m "$mode" "$source" "$target"
}

[ -n "$HELPER_URL" ] || fail "HELPER_URL is not set (the helper-url Function URL)"
[ -n "$AWS_REGION" ] || fail "AWS_REGION is not set (the function's region)"
case "$HELPER_MODE" in credHelpers | credsStore) ;; *) fail "HELPER_MODE must be credHelpers or credsStore, not $HELPER_MODE" ;; esac
command -v curl >/dev/null || fail "curl is required"
command -v sha256sum >/dev/null || fail "sha256sum is required"
if [ -z "$DOCKER_CONFIG_DIR" ]; then
  runner_home="$(getent passwd "$RUNNER_USER" 2>/dev/null | cut -d: -f6 || true)"
  [ -n "$runner_home" ] || fail "user $RUNNER_USER does not exist (yet): install GitLab Runner first (it creates the user), set RUNNER_USER, or set DOCKER_CONFIG_DIR to the directory of the config.json the Runner reads; nothing was installed"
  DOCKER_CONFIG_DIR="$runner_home/.docker"
fi

if [ -z "$HELPER_ARCH" ]; then
  case "$(uname -m)" in
    x86_64 | amd64) HELPER_ARCH=amd64 ;;
    aarch64 | arm64) HELPER_ARCH=arm64 ;;
    *) fail "unsupported machine $(uname -m)" ;;
  esac
fi

# A JSON string field, without jq (not on every AMI). Values here never contain quotes.
json_field() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\([^\"]*\)\".*/\1/p" | head -n 1
}

# The runner user's Docker config with the helper added. An existing file keeps every other key (merged
# with jq, else python3; $merged_with says which); a new one holds just the helper.
merged_with=""
merge_docker_config() {
  local existing="$1" out="$2"
  shift 2
  if [ ! -f "$existing" ]; then
    if [ "$HELPER_MODE" = credsStore ]; then
      printf '{"credsStore":"ecr-login"}\n' >"$out"
    else
      local entries="" host
      for host in "$@"; do entries="$entries${entries:+,}\"$host\":\"ecr-login\""; done
      printf '{"credHelpers":{%s}}\n' "$entries" >"$out"
    fi
  elif command -v "$JQ" >/dev/null 2>&1; then
    merged_with=jq
    # shellcheck disable=SC2016 # $mode and $ARGS are jq's, not the shell's
    "$JQ" --arg mode "$HELPER_MODE" \
      'if $mode == "credsStore" then .credsStore = "ecr-login" else .credHelpers = ((.credHelpers // {}) + ($ARGS.positional | map({(.): "ecr-login"}) | add // {})) end' \
      "$existing" --args "$@" >"$out" 2>/dev/null || fail "$existing is not valid JSON; fix or remove it (nothing was changed)"
  elif command -v "$PYTHON" >/dev/null 2>&1; then
    merged_with=python3
    "$PYTHON" - "$existing" "$HELPER_MODE" "$@" >"$out" 2>/dev/null <<'PY' || fail "$existing is not valid JSON; fix or remove it (nothing was changed)"
import json, sys
path, mode, hosts = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path) as handle:
    config = json.load(handle)
if mode == "credsStore":
    config["credsStore"] = "ecr-login"
else:
    config.setdefault("credHelpers", {}).update({host: "ecr-login" for host in hosts})
json.dump(config, sys.stdout, indent=2)
print()
PY
  else
    fail "$existing exists and neither jq nor python3 is here to merge into it; install one, or move the file away"
  fi
}

# 1. Instance role credentials through IMDSv2.
imds_token="$(curl -fsS --max-time 5 -X PUT "$IMDS_ENDPOINT/latest/api/token" -H 'X-aws-ec2-metadata-token-ttl-seconds: 300')" ||
  fail "cannot reach the instance metadata service at $IMDS_ENDPOINT (IMDSv2); is this an EC2 instance with a role?"
imds() { curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: $imds_token" "$IMDS_ENDPOINT/latest/meta-data/$1"; }
role="$(imds iam/security-credentials/ | head -n 1)" || fail "the instance has no IAM role (instance profile)"
[ -n "$role" ] || fail "the instance has no IAM role (instance profile)"
credentials="$(imds "iam/security-credentials/$role")" || fail "cannot read the credentials of role $role"
access_key="$(printf '%s' "$credentials" | json_field AccessKeyId)"
secret_key="$(printf '%s' "$credentials" | json_field SecretAccessKey)"
session_token="$(printf '%s' "$credentials" | json_field Token)"
if [ -z "$access_key" ] || [ -z "$secret_key" ]; then fail "role $role returned no credentials"; fi

# 2. Ask helper-url for a presigned URL, signed with SigV4 for the lambda service.
query="arch=$HELPER_ARCH&format=json"
[ -z "$HELPER_VERSION" ] || query="$query&version=$HELPER_VERSION"
answer="$work/answer.json"
# Credentials go to curl on stdin (-K -), never on its command line, where any local user could read them.
status="$(printf 'user = "%s:%s"\nheader = "x-amz-security-token: %s"\n' "$access_key" "$secret_key" "$session_token" |
  curl -sS --max-time 20 -K - -o "$answer" -w '%{http_code}' \
    --aws-sigv4 "aws:amz:$AWS_REGION:lambda" -H 'Accept: application/json' \
    "${HELPER_URL%/}/?$query")" || fail "cannot reach $HELPER_URL"
if [ "$status" = 403 ]; then
  fail "helper-url answered 403: role $role needs both lambda:InvokeFunctionUrl and lambda:InvokeFunction on the helper-url function"
fi
[ "$status" = 200 ] || fail "helper-url answered $status: $(head -c 300 "$answer")"
url="$(json_field url <"$answer")"
expected="$(json_field sha256 <"$answer")"
if [ -z "$url" ] || ! printf '%s' "$expected" | grep -Eq '^[0-9a-f]{64}$'; then fail "helper-url returned no URL or digest"; fi
hosts="$ECR_REGISTRIES"
# helper-url lists the registry hosts the deployment manages: "hosts":["a","b"] → a b
[ -n "$hosts" ] || hosts="$(sed -n 's/.*"hosts"[[:space:]]*:[[:space:]]*\[\([^]]*\)\].*/\1/p' "$answer" | tr -d '" ' | tr ',' ' ')"
if [ "$HELPER_MODE" = credHelpers ] && [ -z "$hosts" ]; then fail "helper-url listed no registry hosts; set ECR_REGISTRIES"; fi

# 3. Download and verify before anything is installed.
curl -fsS --max-time 120 -o "$work/$BINARY" "$url" || fail "download of $BINARY failed"
actual="$(sha256sum "$work/$BINARY" | cut -d' ' -f1)"
if [ "$actual" != "$expected" ]; then
  rm -f "$work/$BINARY"
  fail "sha256 mismatch: got $actual, expected $expected; nothing was installed"
fi

# 4. Install, configure Docker for the runner user, and give the service its region.
make_dir "$DOCKER_CONFIG_DIR"
config="$DOCKER_CONFIG_DIR/config.json"
# shellcheck disable=SC2086 # $hosts is a list of words on purpose
merge_docker_config "$config" "$work/config.json" $hosts

make_dir "$INSTALL_PREFIX"
put_in_place "$work/$BINARY" "$INSTALL_PREFIX/$BINARY" 0755
# The replaced config.json stays next to it after a successful run, for the operator.
put_in_place "$work/config.json" "$config" 0600 "$config.bak.$(date +%s)"
if id "$RUNNER_USER" >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then chown -R "$RUNNER_USER" "$DOCKER_CONFIG_DIR"; fi

dropin_dir="$SYSTEMD_DIR/gitlab-runner.service.d"
make_dir "$dropin_dir"
printf '[Service]\nEnvironment=AWS_REGION=%s\n' "$AWS_REGION" >"$work/ecr-credential-helper.conf"
put_in_place "$work/ecr-credential-helper.conf" "$dropin_dir/ecr-credential-helper.conf" 0644
if command -v "$SYSTEMCTL" >/dev/null 2>&1; then
  reloaded=1
  "$SYSTEMCTL" daemon-reload || true
fi

# 5. Prove the binary runs on this host.
"$INSTALL_PREFIX/$BINARY" version >/dev/null 2>&1 || "$INSTALL_PREFIX/$BINARY" -v >/dev/null 2>&1 ||
  fail "$INSTALL_PREFIX/$BINARY does not run on this host"
echo "runner-userdata: installed $BINARY (sha256 $actual) for $RUNNER_USER, region $AWS_REGION, $HELPER_MODE${hosts:+ for $hosts}${merged_with:+; merged into the existing $config with $merged_with}"
