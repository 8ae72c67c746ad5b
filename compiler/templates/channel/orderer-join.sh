# One orderer organisation, in one cluster: join its consenters of the channel with the
# organisation's own admin TLS identity (the admin endpoint trusts only its own TLS CA).
# The creator party makes the genesis block, once, and only when every consenter has
# answered that it does not have the channel. Then the channel's configuration is brought
# to the rendered one (lib.sh, reconcile_config): the creator party proposes, others sign.
# A consenter added to a running channel joins from its latest configuration block, once
# that configuration lists it; one dropped from the consenters leaves the channel after.
source /etc/hlfc/scripts/lib.sh

ADMIN_ARGS=(--ca-file "$ADMIN_TLS/ca.crt" --client-cert "$ADMIN_TLS/tls.crt" --client-key "$ADMIN_TLS/tls.key")
CREATOR=$(jq -r .creator "$JOB")

# 0: the consenter has joined the channel; 1: it has not; 2: no answer.
joined() {
  local said
  said=$(timeout 30 osnadmin channel list --channelID "$CHANNEL" -o "$1" "${ADMIN_ARGS[@]}" 2>&1) || return 2
  case "$said" in
    *"Status: 200"*) return 0 ;;
    *"Status: 404"*) return 1 ;;
    *) return 2 ;;
  esac
}

# This organisation's orderers here that the blueprint dropped from the channel's consenters
# leave it once the live configuration no longer lists them (reconcile_config has returned):
# `osnadmin channel remove` halts the channel there and deletes that node's copy of its
# blocks (every consenter holds them); the node, its other channels and its volume stay.
retire_nodes() {
  local admin consenter state said
  while read -r admin consenter; do
    if consenters_listed "$WORK/live.json" "$consenter"; then
      fail "$consenter is still a consenter of $CHANNEL: not removed from it"
    fi
    state=0
    joined "$admin" || state=$?
    if [ "$state" -eq 1 ]; then continue; fi
    if [ "$state" -eq 2 ]; then
      log "$admin does not answer: whether it still has $CHANNEL is asked again at the next sync"
      continue
    fi
    while true; do
      said=$(timeout 60 osnadmin channel remove --channelID "$CHANNEL" -o "$admin" "${ADMIN_ARGS[@]}" 2>&1) && case "$said" in
        *"Status: 204"* | *"Status: 409"*)
          log "$admin left $CHANNEL: no longer one of its consenters"
          break
          ;;
        *"Status: 404"*) break ;;
      esac
      log "remove at $admin: $(echo "$said" | head -n 3 | tr '\n' ' ')"
      wait_or_fail "$admin did not leave $CHANNEL"
    done
  done < <(jq -r '.retired[]? | "\(.admin) \(.consenter)"' "$JOB")
}

pending=()
advertised=() # the pending consenters as the channel configuration names them
while read -r admin address; do
  while true; do
    state=0
    joined "$admin" || state=$?
    [ "$state" -ne 2 ] && break
    wait_or_fail "the admin endpoint $admin does not answer"
  done
  if [ "$state" -eq 0 ]; then
    log "$admin has joined already"
  else
    pending+=("$admin")
    advertised+=("$address")
  fi
done < <(jq -r '.nodes[] | "\(.admin) \(.consenter)"' "$JOB")
if [ "${#pending[@]}" -eq 0 ]; then
  log "every consenter of this organisation here has joined already"
  reconcile_config
  retire_nodes
  log "done"
  exit 0
fi

need_trust
block=$WORK/genesis.pb
while true; do
  state=0
  fetch_genesis "$block" || state=$?
  if [ "$state" -eq 0 ]; then
    if genesis_matches "$block"; then break; fi
    # An updated channel: these consenters join once the live configuration lists them
    # (this party takes its part in adding them), from its latest configuration block.
    log "block 0 differs from the rendered configtx.yaml (an updated channel): joining from its latest configuration"
    reconcile_config "${advertised[@]}"
    block=$WORK/latest.pb
    until fetch_latest_config "$block"; do wait_or_fail "no consenter served the latest configuration block"; done
    break
  fi
  if [ "$state" -eq 1 ] && [ "$CREATOR" = "true" ]; then
    expected_genesis "$block"
    log "no consenter has the channel: genesis block made from the rendered configtx.yaml"
    break
  fi
  if [ "$state" -eq 3 ]; then
    wait_or_fail "$NOT_YET_MEMBER"
  elif [ "$CREATOR" = "true" ]; then
    wait_or_fail "not every consenter answered; the channel is only created once all have said they do not have it"
  else
    wait_or_fail "no joined consenter served block 0 (created by $(jq -r .creatorParty "$JOB"))"
  fi
done

for admin in "${pending[@]}"; do
  while true; do
    said=$(timeout 60 osnadmin channel join --channelID "$CHANNEL" --config-block "$block" \
      -o "$admin" "${ADMIN_ARGS[@]}" 2>&1) && case "$said" in
      *"Status: 201"*)
        log "$admin joined"
        break
        ;;
      *"Status: 405"*)
        log "$admin had joined already"
        break
        ;;
    esac
    log "join at $admin: $(echo "$said" | head -n 3 | tr '\n' ' ')"
    wait_or_fail "$admin did not join"
  done
done
reconcile_config
retire_nodes
log "done"
