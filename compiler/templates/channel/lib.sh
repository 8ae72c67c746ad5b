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
FAILED_SAID=""
fail() {
  FAILED_SAID=1
  log "FAILED: $*" >&2
  exit 1
}
# A command that stops the script (set -e) without fail() still says which one.
trap 'status=$?; if [ "$status" -ne 0 ] && [ -z "$FAILED_SAID" ]; then
  log "FAILED: the command \"$BASH_COMMAND\" exited with $status" >&2; fi' EXIT

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
# did not answer; 3: the channel exists, but this organisation may not read it (it is not
# a member yet: the channel's members add it with a config update, in their own Jobs).
fetch_genesis() {
  local out=$1 missing=0 forbidden=0 address org said
  while read -r address org; do
    if said=$(timeout 30 peer channel fetch 0 "$out" -c "$CHANNEL" -o "$address" --tls --bestEffort \
      --cafile "$(orderer_tls_root "$org")" 2>&1); then
      log "block 0 fetched from $address"
      return 0
    fi
    case "$said" in
      *NOT_FOUND*) ;;
      *FORBIDDEN*) forbidden=1 ;;
      *)
        missing=1
        log "no block 0 from $address yet: $(echo "$said" | tail -n 1)"
        ;;
    esac
  done < <(jq -r '.consenters[] | "\(.host):\(.port) \(.org)"' "$JOB")
  [ "$forbidden" -eq 1 ] && return 3
  return $((1 + missing))
}

NOT_YET_MEMBER="$MSP_ID may not read $CHANNEL yet: waiting for the channel's members to add it (their channel Jobs sign that update)"

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

# The channel must say what the rendered configtx.yaml says: never join a channel on
# another party's word alone. Block 0 says it, unless the channel has been updated since
# it was made: then its latest configuration must, once this party has taken its part in
# bringing it there (reconcile_config).
verify_genesis() {
  if genesis_matches "$1"; then return 0; fi
  log "block 0 differs from the rendered configtx.yaml (an updated channel): checking its latest configuration"
  reconcile_config
}

# 0: block 0 ($1) says exactly what configtxgen makes of the rendered configtx.yaml.
genesis_matches() {
  expected_genesis "$WORK/expected.pb"
  if diff <(config_of_block "$WORK/expected.pb") <(config_of_block "$1") >"$WORK/genesis.diff"; then
    log "block 0 matches the rendered configtx.yaml"
    return 0
  fi
  return 1
}

# The channel's latest configuration block, into $1, from any consenter that serves it.
fetch_latest_config() {
  local address org
  while read -r address org; do
    if timeout 30 peer channel fetch config "$1" -c "$CHANNEL" -o "$address" --tls \
      --cafile "$(orderer_tls_root "$org")" >/dev/null 2>&1; then
      return 0
    fi
  done < <(jq -r '.consenters[] | "\(.host):\(.port) \(.org)"' "$JOB")
  return 1
}

# --- config updates (README: day 2): the live configuration brought to the rendered one ---

EXCHANGE=$WORK/exchange # shared with the sidecar, which moves proposals and signatures

# The live configuration of the channel, as JSON, into $1: from this organisation's own
# peers or consenters first, with its own TLS root (no other organisation's CA need be up),
# else from any consenter whose organisation's TLS root the sidecar has fetched.
# 0: fetched; 1: this organisation may not read the channel (not a member yet); 2: no answer.
fetch_live_config() {
  local out=$1 said address org root forbidden=0 me
  local own_root=$ADMIN_MSP/tlscacerts/tlsca.pem
  me=$(jq -r .organization "$JOB")
  if [ "$(jq -r .role "$JOB")" = "peer" ]; then
    for address in $(jq -r '.nodes[].address' "$JOB"); do
      if CORE_PEER_ADDRESS=$address CORE_PEER_TLS_ROOTCERT_FILE=$own_root timeout 30 \
        peer channel fetch config "$WORK/live.pb" -c "$CHANNEL" >/dev/null 2>&1; then
        config_of_block "$WORK/live.pb" >"$out"
        return 0
      fi
    done
  fi
  while read -r address org; do
    root=$own_root
    if [ "$org" != "$me" ]; then
      root=$(orderer_tls_root "$org")
      [ -e "$root" ] || continue
    fi
    if said=$(timeout 30 peer channel fetch config "$WORK/live.pb" -c "$CHANNEL" -o "$address" \
      --tls --cafile "$root" 2>&1); then
      config_of_block "$WORK/live.pb" >"$out"
      return 0
    fi
    case "$said" in *FORBIDDEN*) forbidden=1 ;; esac
  done < <(jq -r '(.organization) as $me | .consenters | (map(select(.org == $me)) + map(select(.org != $me)))[]
    | "\(.host):\(.port) \(.org)"' "$JOB")
  [ "$forbidden" -eq 1 ] && return 1
  return 2
}

TRUST=$CONFIGTX_DIR/trust.json # whose certificates the sidecar fetches
TRUST_GRACE=60                 # seconds a config update waits for all of them
RESUBMIT_AFTER=30              # seconds after which an update the orderer took but did not apply is sent again

# What the sidecar writes into an MSP folder (compiler/enroll/msp.py NODE_OUS; a test
# keeps the two equal).
node_ous() {
  cat <<'YAML'
NodeOUs:
  Enable: true
  ClientOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: cacerts/ca.pem
    OrganizationalUnitIdentifier: orderer
YAML
}

# A config update waits for the sidecar's certificates, but not for ever: a CA or consenter
# that is down must not hold up an update that does not concern it.
await_trust() {
  local until=$(($(date +%s) + TRUST_GRACE))
  while [ ! -e "$WORK/trust.done" ] && [ ! -e "$WORK/trust.failed" ] && [ "$(date +%s)" -lt "$until" ]; do
    sleep 2
  done
}

# What configtxgen reads for the target, in $WORK/target/: the sidecar's certificates where
# it has them, else what the live configuration ($1) has of that organisation or consenter
# (so an unreachable one is left as it is). 1: one new to the channel is not fetched yet
# (TARGET_WAITS says which). FROM_LIVE lists those taken from the live configuration.
target_material() {
  local live=$1 dir=$WORK/target name msp conf host port cert missing=()
  rm -rf "$dir"
  mkdir -p "$dir/msp" "$dir/consenters"
  FROM_LIVE=()
  while read -r name msp; do
    if [ -e "$WORK/msp/$name/cacerts/ca.pem" ] && [ -e "$WORK/msp/$name/tlscacerts/tlsca.pem" ] &&
      [ -e "$WORK/msp/$name/config.yaml" ]; then
      cp -r "$WORK/msp/$name" "$dir/msp/$name"
      continue
    fi
    conf=$(jq -c --arg m "$msp" '.channel_group.groups |
      (.Application.groups[$m] // .Orderer.groups[$m]) | .values.MSP.value.config // empty' "$live")
    if [ -z "$conf" ]; then
      missing+=("the CA of $name")
      continue
    fi
    mkdir -p "$dir/msp/$name/cacerts" "$dir/msp/$name/tlscacerts"
    jq -r '.root_certs[0]' <<<"$conf" | base64 -d >"$dir/msp/$name/cacerts/ca.pem"
    jq -r '.tls_root_certs[0]' <<<"$conf" | base64 -d >"$dir/msp/$name/tlscacerts/tlsca.pem"
    node_ous >"$dir/msp/$name/config.yaml"
    FROM_LIVE+=("$name")
  done < <(jq -r '.organizations[] | "\(.name) \(.mspID)"' "$TRUST")
  while read -r name host port; do
    if [ -e "$WORK/consenters/$name.pem" ]; then
      cp "$WORK/consenters/$name.pem" "$dir/consenters/$name.pem"
      continue
    fi
    cert=$(jq -r --arg h "$host" --argjson p "$port" \
      "$CONSENTERS[]? | select(.host == \$h and .port == \$p) | .client_tls_cert" "$live")
    if [ -z "$cert" ]; then
      missing+=("consenter $name")
      continue
    fi
    echo "$cert" | base64 -d >"$dir/consenters/$name.pem"
    FROM_LIVE+=("$name")
  done < <(jq -r '.configConsenters[] | "\(.name) \(.host) \(.port)"' "$JOB")
  sed -e "s#$WORK/msp/#$dir/msp/#g" -e "s#$WORK/consenters/#$dir/consenters/#g" \
    "$CONFIGTX_DIR/configtx.yaml" >"$dir/configtx.yaml"
  TARGET_WAITS="${missing[*]}"
  [ "${#missing[@]}" -eq 0 ]
}

# The configuration the blueprint implies (configtxgen's, from the rendered configtx.yaml),
# with each organisation's anchor peers as the channel has them: each organisation sets
# its own, in its own Job. $1: live (JSON), $2: out.
SAID_FROM_LIVE=""
target_config() {
  local said
  until target_material "$1"; do
    wait_or_fail "$TARGET_WAITS: new to the channel, so not without its certificates"
  done
  if [ "${FROM_LIVE[*]}" != "$SAID_FROM_LIVE" ]; then
    log "not reached (yet), so taken as the channel has them: ${FROM_LIVE[*]}"
    SAID_FROM_LIVE="${FROM_LIVE[*]}"
  fi
  said=$(configtxgen -profile "$CHANNEL" -channelID "$CHANNEL" -outputBlock "$WORK/target.pb" \
    -configPath "$WORK/target" 2>&1) || fail "configtxgen refused the rendered configtx.yaml: $said"
  config_of_block "$WORK/target.pb" | jq -S --slurpfile live "$1" '
    reduce ($live[0].channel_group.groups.Application.groups // {} | to_entries[]) as $org (.;
      if $org.value.values.AnchorPeers and .channel_group.groups.Application.groups[$org.key]
      then .channel_group.groups.Application.groups[$org.key].values.AnchorPeers =
        $org.value.values.AnchorPeers
      else . end)' >"$2"
}

# Raft changes its consenter set one member at a time (Fabric refuses an update that adds,
# removes or re-certifies two consenters at once), so a blueprint that changes several is
# carried out in steps, each its own update: additions first, then certificate changes,
# then removals, each from the live set. Every party computes the same step from the same
# live configuration. $1: live, $2: target, $3: out (the target with at most one consenter
# change).
CONSENTERS='.channel_group.groups.Orderer.values.ConsensusType.value.metadata.consenters'
next_step() {
  jq -S --slurpfile live "$1" "
    def key: \"\\(.host):\\(.port)\";
    (\$live[0]$CONSENTERS // []) as \$l | ($CONSENTERS // []) as \$t
    | [\$l[] | key] as \$lk | [\$t[] | key] as \$tk
    | [\$t[] | select(key as \$k | \$lk | index(\$k) | not)] as \$added
    | [\$l[] | select(key as \$k | \$tk | index(\$k) | not)] as \$removed
    | [\$t[] | . as \$c | select([\$l[] | select(key == (\$c | key)) | select(. != \$c)] | length > 0)] as \$rotated
    | if (\$added + \$removed + \$rotated | length) <= 1 then .
      elif (\$added | length) > 0 then $CONSENTERS = \$l + [\$added[0]]
      elif (\$rotated | length) > 0 then
        $CONSENTERS = [\$l[] | if key == (\$rotated[0] | key) then \$rotated[0] else . end]
      else $CONSENTERS = [\$l[] | select(key != (\$removed[0] | key))]
      end" "$2" >"$3"
}

# 0: every consenter of the live configuration ($1) serves that configuration: the set is
# whole and caught up, so its membership may change. Asked of each consenter with the
# channel's own orderer TLS roots.
consenters_current() {
  local sequence address said
  sequence=$(jq -r '.sequence // "0"' "$1")
  jq -r '.channel_group.groups.Orderer.groups[].values.MSP.value.config.tls_root_certs[]' "$1" |
    while read -r pem; do echo "$pem" | base64 -d; done >"$WORK/orderer-roots.pem"
  for address in $(jq -r "$CONSENTERS[] | \"\\(.host):\\(.port)\"" "$1"); do
    if ! said=$(timeout 30 peer channel fetch config "$WORK/current.pb" -c "$CHANNEL" -o "$address" \
      --tls --cafile "$WORK/orderer-roots.pem" 2>&1); then
      STALE_CONSENTER="$address does not serve the channel ($(echo "$said" | tail -n 1))"
      return 1
    fi
    if [ "$(config_of_block "$WORK/current.pb" | jq -r '.sequence // "0"')" != "$sequence" ]; then
      STALE_CONSENTER="$address has not caught up with configuration $sequence"
      return 1
    fi
  done
}

# The ConfigUpdate from $1 to $2 (JSON configs) into $3. 1: there is no difference.
compute_update() {
  local said
  configtxlator proto_encode --type common.Config --input "$1" --output "$WORK/from.pb"
  configtxlator proto_encode --type common.Config --input "$2" --output "$WORK/to.pb"
  if said=$(configtxlator compute_update --channel_id "$CHANNEL" --original "$WORK/from.pb" \
    --updated "$WORK/to.pb" --output "$3" 2>&1); then
    return 0
  fi
  case "$said" in *"no differences detected"*) return 1 ;; esac
  fail "configtxlator compute_update: $said"
}

# The elements a ConfigUpdate ($1) writes, as paths: what a log line can say.
describe_update() {
  configtxlator proto_decode --type common.ConfigUpdate --input "$1" | jq -r '
    def items(p): (.values // {} | to_entries[] | [p + "/" + .key, .value.version // "0"]),
      (.policies // {} | to_entries[] | [p + "/" + .key, .value.version // "0"]),
      (.groups // {} | to_entries[] | .key as $k | .value |
        ([p + "/" + $k, .version // "0"], items(p + "/" + $k)));
    ([.read_set | items("/Channel")] | map({(.[0]): .[1]}) | add // {}) as $read
    | [.write_set | items("/Channel") | select($read[.[0]] != .[1]) | .[0]] | join(", ")'
}

# An unsigned CONFIG_UPDATE envelope ($2) around a ConfigUpdate ($1).
update_envelope() {
  configtxlator proto_decode --type common.ConfigUpdate --input "$1" |
    jq --arg ch "$CHANNEL" '{payload: {header: {channel_header: {channel_id: $ch, type: 2}},
      data: {config_update: .}}}' >"$WORK/envelope.json"
  configtxlator proto_encode --type common.Envelope --input "$WORK/envelope.json" --output "$2"
}

# The ConfigUpdate an envelope ($1) carries, as sorted JSON (its content, not its bytes).
envelope_update() {
  configtxlator proto_decode --type common.Envelope --input "$1" | jq -S '.payload.data.config_update'
}

# Submit an update envelope ($1) through the channel's orderer endpoints, as the live
# configuration ($2) names them, each with its organisation's TLS root from that same
# configuration. 0: an orderer accepted it; else SUBMIT_SAID says what the last one said.
SUBMIT_SAID=""
submit_update() {
  local org address root said
  mkdir -p "$WORK/config-roots"
  while read -r org address; do
    root=$WORK/config-roots/$org.pem
    jq -r --arg org "$org" '.channel_group.groups.Orderer.groups[$org].values.MSP.value.config.tls_root_certs[]' \
      "$2" | while read -r pem; do echo "$pem" | base64 -d; done >"$root"
    if said=$(timeout 30 peer channel update -f "$1" -c "$CHANNEL" -o "$address" \
      --tls --cafile "$root" 2>&1); then
      log "update submitted through $address"
      return 0
    fi
    SUBMIT_SAID=$(echo "$said" | grep -v '^\s*$' | tail -n 1)
    log "update through $address: $SUBMIT_SAID"
    # the update itself was judged (a policy, a stale version): every orderer says the same
    case "$SUBMIT_SAID" in *BAD_REQUEST* | *FORBIDDEN*) return 1 ;; esac
  done < <(jq -r '.channel_group.groups.Orderer.groups | to_entries[] |
    .key as $org | .value.values.Endpoints.value.addresses[] | "\($org) \(.)"' "$2")
  return 1
}

# Whose signatures a refusal ($1, the orderer's words) still wants: the organisations of
# the group whose policy refused, as the live configuration ($3) has them (an organisation
# being added cannot sign yet), that have not signed ($2: JSON list of those that have).
missing_signers() {
  local groups='["Orderer", "Application"]'
  case "$1" in
    *"/Channel/Orderer"*) groups='["Orderer"]' ;;
    *"/Channel/Application"*) groups='["Application"]' ;;
  esac
  jq -r --argjson signed "$2" --argjson groups "$groups" '
    [.channel_group.groups[$groups[]].groups // {} | keys[]] - $signed | unique | join(", ")' "$3"
}

# 0: every address given ($2...) is a consenter of the live configuration ($1).
consenters_listed() {
  local live=$1 address
  shift
  for address in "$@"; do
    jq -e --arg a "$address" "[$CONSENTERS[] | \"\\(.host):\\(.port)\"] | index(\$a)" "$live" >/dev/null || return 1
  done
}

# One digest of the certificates the trust sidecar has fetched so far (none, some or all).
fetched_digest() {
  local files
  shopt -s nullglob
  files=("$WORK"/msp/*/*/*.pem "$WORK"/consenters/*.pem)
  shopt -u nullglob
  cat /dev/null "${files[@]}" | sha256sum
}

# Bring the channel's configuration to the rendered one. The proposer (the channel's creator
# party) computes the update and submits it once the signatures its sidecar gathered
# satisfy the orderer; every other party computes the same update itself and signs the
# proposal only if it is that update. Returns when the live configuration is the rendered
# one, or (with addresses given) as soon as those consenters are in the live set; fails at
# the Job's deadline, saying whose signatures are missing.
reconcile_config() {
  await_trust
  local live=$WORK/live.json target=$WORK/target.json state changes digest said
  local proposer submitted="" signed_for="" refused="" reported=0 signed unsigned
  local key computed_for="" proposed_for="" accepted_at=""
  proposer=$(jq -r '.proposer' "$JOB")
  mkdir -p "$EXCHANGE"
  while true; do
    state=0
    fetch_live_config "$live" || state=$?
    if [ "$state" -eq 1 ]; then
      wait_or_fail "$NOT_YET_MEMBER" 5
      continue
    elif [ "$state" -ne 0 ]; then
      wait_or_fail "no consenter served the configuration of $CHANNEL"
      continue
    fi
    if [ "$#" -gt 0 ] && consenters_listed "$live" "$@"; then
      return 0 # the caller's new consenters are in the set: it joins them now
    fi
    # computed again only when the live configuration or the fetched certificates moved:
    # a Job waiting for signatures polls every few seconds
    key="$(sha256sum <"$live")$(fetched_digest)"
    if [ "$key" != "$computed_for" ]; then
      target_config "$live" "$target"
      next_step "$live" "$target" "$WORK/step.json"
      if ! compute_update "$live" "$WORK/step.json" "$WORK/update.pb"; then
        log "the channel's configuration is as rendered"
        return 0
      fi
      changes=$(describe_update "$WORK/update.pb")
      if ! diff -q <(jq -S "$CONSENTERS" "$WORK/step.json") <(jq -S "$CONSENTERS" "$target") >/dev/null; then
        changes="$changes (one consenter change of several: the next comes once it is applied)"
      fi
      computed_for=$key
    fi
    if [ "$proposer" = "true" ] &&
      ! diff -q <(jq -S "$CONSENTERS" "$live") <(jq -S "$CONSENTERS" "$WORK/step.json") >/dev/null &&
      ! consenters_current "$live"; then
      wait_or_fail "the consenter set changes only when every consenter serves the latest configuration: $STALE_CONSENTER" 5
      continue
    fi
    if [ "$proposer" = "true" ]; then
      if [ "$computed_for" != "$proposed_for" ]; then
        update_envelope "$WORK/update.pb" "$WORK/proposal.pb"
        if [ ! -e "$EXCHANGE/proposal.pb" ] ||
          ! diff -q <(envelope_update "$EXCHANGE/proposal.pb") <(envelope_update "$WORK/proposal.pb") >/dev/null; then
          rm -f "$EXCHANGE/outcome"
          mv "$WORK/proposal.pb" "$EXCHANGE/proposal.pb"
          submitted=""
          accepted_at=""
          log "proposed: $changes (every organisation of the channel is asked to sign)"
        fi
        proposed_for=$computed_for
      fi
      # An orderer that took the update can still drop it: a leader that the update evicts
      # or re-certifies hands leadership over first and forwards it again, and gives up
      # after a few failed hand-overs (etcdraft chain.go). Not applied a while later: again.
      if [ -n "$accepted_at" ] && [ $(($(date +%s) - accepted_at)) -ge "$RESUBMIT_AFTER" ]; then
        log "the update the orderer took is not in the configuration ${RESUBMIT_AFTER} s later: submitting it again"
        submitted=""
        accepted_at=""
      fi
      digest=$(sha256sum <"$EXCHANGE/proposal.pb" | cut -d' ' -f1)
      if [ -e "$EXCHANGE/collected.json" ] &&
        [ "$(jq -r .proposal "$EXCHANGE/collected.json")" = "$digest" ]; then
        said=$(jq -c '.signed' "$EXCHANGE/collected.json")
        if [ "$said" != "$submitted" ]; then
          submitted=$said
          if submit_update "$EXCHANGE/collected.pb" "$live"; then
            log "submitted with the signatures of $(jq -r --arg me "$MSP_ID" '[$me] + (. - [$me]) | join(", ")' <<<"$said")"
            accepted_at=$(date +%s)
            sleep 2
            continue
          fi
          case "$SUBMIT_SAID" in
            *"policy"*)
              signed=$(jq -c --arg me "$MSP_ID" '. + [$me] | unique' <<<"$said")
              unsigned=$(missing_signers "$SUBMIT_SAID" "$signed" "$live")
              echo "not applied: the orderer refused it ($SUBMIT_SAID); missing signatures of: ${unsigned:-none}" >"$EXCHANGE/outcome"
              ;;
            *)
              # not a judgement of the signatures (no leader yet, an orderer unreachable):
              # submitted again at the next round
              echo "not applied yet: $SUBMIT_SAID" >"$EXCHANGE/outcome"
              submitted=""
              ;;
          esac
          log "$(cat "$EXCHANGE/outcome")"
          reported=$(date +%s)
        fi
      fi
      if [ -e "$EXCHANGE/failed" ]; then fail "signature exchange: $(cat "$EXCHANGE/failed")"; fi
      if [ $(($(date +%s) - reported)) -ge 30 ] && [ -e "$EXCHANGE/outcome" ]; then
        log "$(cat "$EXCHANGE/outcome")"
        reported=$(date +%s)
      fi
      wait_or_fail "the update ($changes) is not applied: $(cat "$EXCHANGE/outcome" 2>/dev/null || echo 'no answer yet')" 3
    else
      if [ -e "$EXCHANGE/proposal.pb" ]; then
        digest=$(sha256sum <"$EXCHANGE/proposal.pb" | cut -d' ' -f1)
        if [ "$digest" != "$signed_for" ]; then
          if diff -q <(envelope_update "$EXCHANGE/proposal.pb") \
            <(configtxlator proto_decode --type common.ConfigUpdate --input "$WORK/update.pb" | jq -S .) >/dev/null; then
            cp "$EXCHANGE/proposal.pb" "$WORK/signing.pb"
            said=$(peer channel signconfigtx -f "$WORK/signing.pb" 2>&1) || fail "signconfigtx: $said"
            mv "$WORK/signing.pb" "$EXCHANGE/signed.pb"
            signed_for=$digest
            log "signed the proposal: $changes"
          elif [ "$digest" != "$refused" ]; then
            log "the proposal is not the update the blueprint implies here (yet): not signed"
            refused=$digest
          fi
        fi
      fi
      said=$(jq -r '"signed by \(.signed | join(", ")); not yet by \(.unsigned | join(", "))\(if .outcome != "" then "; " + .outcome else "" end)"' \
        "$EXCHANGE/status.json" 2>/dev/null || echo "no answer from the proposer yet")
      if [ -e "$EXCHANGE/failed" ]; then fail "signature exchange: $(cat "$EXCHANGE/failed")"; fi
      wait_or_fail "the update ($changes) is not applied: $said" 3
    fi
  done
}
