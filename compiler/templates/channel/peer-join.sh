# One member organisation, in one cluster: join its peers there to the channel with the
# organisation's admin, then make the channel's anchor peers of the organisation those
# the blueprint names (a config update the organisation's admin alone may sign), then sign
# (or wait for) any other change of the channel's configuration (lib.sh, reconcile_config).
source /etc/hlfc/scripts/lib.sh

export CORE_PEER_TLS_ROOTCERT_FILE=$ADMIN_MSP/tlscacerts/tlsca.pem

# 0: the peer has joined; 1: it has not; 2: no answer.
joined() {
  local said
  said=$(CORE_PEER_ADDRESS=$1 timeout 30 peer channel list 2>&1) || return 2
  grep -qx "$CHANNEL" <<<"$said" && return 0
  return 1
}

pending=()
for address in $(jq -r '.nodes[].address' "$JOB"); do
  while true; do
    state=0
    joined "$address" || state=$?
    [ "$state" -ne 2 ] && break
    wait_or_fail "the peer $address does not answer"
  done
  if [ "$state" -eq 0 ]; then log "$address has joined already"; else pending+=("$address"); fi
done

if [ "${#pending[@]}" -gt 0 ]; then
  need_trust
  block=$WORK/genesis.pb
  while true; do
    state=0
    fetch_genesis "$block" || state=$?
    [ "$state" -eq 0 ] && break
    if [ "$state" -eq 3 ]; then
      wait_or_fail "$NOT_YET_MEMBER"
    else
      wait_or_fail "no consenter served block 0 of $CHANNEL (created by $(jq -r .creatorParty "$JOB"))"
    fi
  done
  verify_genesis "$block"
  for address in "${pending[@]}"; do
    while true; do
      if said=$(CORE_PEER_ADDRESS=$address timeout 60 peer channel join -b "$block" 2>&1); then
        log "$address joined"
        break
      fi
      case "$said" in
        *"already exists"*)
          log "$address had joined already"
          break
          ;;
      esac
      log "join at $address: $(echo "$said" | tail -n 1)"
      wait_or_fail "$address did not join"
    done
  done
fi

# Anchor peers: compare the channel's value with the rendered one; update only if they
# differ. The configuration comes from this organisation's own joined peer, and the
# orderers (their addresses and TLS roots) from that configuration: no other
# organisation's CA needs to be reachable for this, only a quorum of consenters.
want=$(jq -cS '.anchorPeers' "$JOB")
group=".channel_group.groups.Application.groups[\"$MSP_ID\"]"
own_peer=$(jq -r '.nodes[0].address' "$JOB")
while true; do
  if ! said=$(CORE_PEER_ADDRESS=$own_peer timeout 30 peer channel fetch config "$WORK/config.pb" \
    -c "$CHANNEL" 2>&1); then
    log "$own_peer did not serve the configuration: $(echo "$said" | tail -n 1)"
    wait_or_fail "could not read the channel's configuration from $own_peer"
    continue
  fi
  configtxlator proto_decode --type common.Block --input "$WORK/config.pb" |
    jq '.data.data[0].payload.data.config' >"$WORK/config.json"
  have=$(jq -cS "$group.values.AnchorPeers.value.anchor_peers // []" "$WORK/config.json")
  if [ "$have" = "$want" ]; then
    log "anchor peers are as rendered: $want"
    break
  fi
  log "anchor peers: channel has $have, rendered $want: updating"
  if [ "$want" = "[]" ]; then
    jq "del($group.values.AnchorPeers)" "$WORK/config.json" >"$WORK/modified.json"
  else
    jq --argjson peers "$want" "if $group.values.AnchorPeers
      then $group.values.AnchorPeers.value.anchor_peers = \$peers
      else $group.values.AnchorPeers = {mod_policy: \"Admins\", value: {anchor_peers: \$peers}, version: \"0\"}
      end" "$WORK/config.json" >"$WORK/modified.json"
  fi
  configtxlator proto_encode --type common.Config --input "$WORK/config.json" --output "$WORK/original.pb"
  configtxlator proto_encode --type common.Config --input "$WORK/modified.json" --output "$WORK/modified.pb"
  configtxlator compute_update --channel_id "$CHANNEL" --original "$WORK/original.pb" \
    --updated "$WORK/modified.pb" --output "$WORK/update.pb"
  update_envelope "$WORK/update.pb" "$WORK/envelope.pb"
  submit_update "$WORK/envelope.pb" "$WORK/config.json" || log "no orderer accepted the anchor peer update"
  wait_or_fail "the anchor peers of $MSP_ID are not as rendered" 3
done
reconcile_config
log "done"
