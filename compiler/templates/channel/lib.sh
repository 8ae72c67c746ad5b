# Shared by the channel Jobs (sourced). Runs in the Fabric tools image and uses only what
# the official hyperledger/fabric-tools image has: bash, coreutils, curl, jq and the Fabric
# CLIs. Every wait is bounded by the Job's deadline; every failure says what to look at.
set -euo pipefail

JOB=/etc/hlfc/channel/job.json          # this Job's parameters (rendered)
CONFIGTX_DIR=/etc/hlfc/channel          # configtx.yaml (rendered)
WORK=/work                              # certificates fetched by the init container
ADMIN_MSP=/var/hyperledger/admin/msp    # this organisation's admin, in this cluster
ADMIN_TLS=/var/hyperledger/admin/tls

CHANNEL=$(jq -r .channel "$JOB")
MSP_ID=$(jq -r .mspID "$JOB")
DEADLINE=$(($(date +%s) + $(jq -r .deadlineSeconds "$JOB")))

export CORE_PEER_LOCALMSPID=$MSP_ID
export CORE_PEER_MSPCONFIGPATH=$ADMIN_MSP
export CORE_PEER_TLS_ENABLED=true
export FABRIC_LOGGING_SPEC=${FABRIC_LOGGING_SPEC:-WARNING}

log() { echo "$(date -u +%H:%M:%S) [$CHANNEL $MSP_ID] $*"; }
fail() {
  log "FAILED: $*" >&2
  exit 1
}

# Sleep before the next attempt, or fail with $1 once the deadline has passed. Says what
# it waits for every 30 seconds, so that a Job that waits is never silent.
LAST_SAID=0
wait_or_fail() {
  local now
  now=$(date +%s)
  if [ "$now" -ge "$DEADLINE" ]; then fail "$1 (gave up at the Job's deadline)"; fi
  if [ $((now - LAST_SAID)) -ge 30 ]; then
    log "waiting: $1"
    LAST_SAID=$now
  fi
  sleep "${2:-5}"
}

# The certificates the trust sidecar fetches: every organisation's roots and every
# consenter's TLS certificate. Needed to make or check block 0, not to set anchor peers.
need_trust() {
  until [ -e "$WORK/trust.done" ]; do
    if [ -e "$WORK/trust.failed" ]; then fail "trust sidecar: $(cat "$WORK/trust.failed")"; fi
    wait_or_fail "waiting for the trust sidecar's certificates" 2
  done
}

orderer_tls_root() { echo "$WORK/msp/$1/tlscacerts/tlsca.pem"; }

# Block 0 of the channel from any consenter, into $1. --bestEffort: a consenter that has
# joined but has no Raft leader yet (the creator's cluster may hold less than a quorum)
# still serves the blocks it has; without it the answer is SERVICE_UNAVAILABLE until a
# quorum has joined, which it never would.
# 0: fetched; 1: every consenter answered that it has no such channel; 2: some consenter
# did not answer.
fetch_genesis() {
  local out=$1 missing=0 address org said
  while read -r address org; do
    if said=$(timeout 30 peer channel fetch 0 "$out" -c "$CHANNEL" -o "$address" --tls --bestEffort \
      --cafile "$(orderer_tls_root "$org")" 2>&1); then
      log "block 0 fetched from $address"
      return 0
    fi
    case "$said" in
      *NOT_FOUND*) ;;
      *)
        missing=1
        log "no block 0 from $address yet: $(echo "$said" | tail -n 1)"
        ;;
    esac
  done < <(jq -r '.consenters[] | "\(.host):\(.port) \(.org)"' "$JOB")
  return $((1 + missing))
}

config_of_block() {
  configtxlator proto_decode --type common.Block --input "$1" |
    jq -S '.data.data[0].payload.data.config'
}

# configtxgen's block from the rendered configtx.yaml and the fetched certificates, into $1.
expected_genesis() {
  local said
  said=$(configtxgen -profile "$CHANNEL" -channelID "$CHANNEL" -outputBlock "$1" \
    -configPath "$CONFIGTX_DIR" 2>&1) || fail "configtxgen refused the rendered configtx.yaml: $said"
}

# The block served must say what the rendered configtx.yaml says: never join a channel
# on another party's word alone.
verify_genesis() {
  local block=$1
  expected_genesis "$WORK/expected.pb"
  if ! diff <(config_of_block "$WORK/expected.pb") <(config_of_block "$block") >"$WORK/genesis.diff"; then
    head -n 40 "$WORK/genesis.diff" >&2
    fail "block 0 of $CHANNEL differs from the rendered configtx.yaml (diff above: expected <, served >)"
  fi
  log "block 0 matches the rendered configtx.yaml"
}
