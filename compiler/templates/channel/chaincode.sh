# One member organisation, in one cluster, for one chaincode on one channel, with the
# organisation's admin: install the package on its peers here (if it runs the chaincode),
# approve the definition for the organisation, commit it (the one committing party only,
# once the approvals satisfy the lifecycle policy), and wait until the channel has it.
# Each step asks first what is already done, so a rerun changes nothing.
source /etc/hlfc/scripts/lib.sh

CC=$(jq -r .chaincode "$JOB")
SEQUENCE=$(jq -r .sequence "$JOB")
PACKAGE_ID=$(jq -r .packageID "$JOB")
PACKAGE=$CONFIGTX_DIR/package.tar.gz
OWN_PEER=$(jq -r '.nodes[0].address' "$JOB")
mapfile -t DEFINITION < <(jq -r '.definitionArgs[]' "$JOB")
export CORE_PEER_TLS_ROOTCERT_FILE=$ADMIN_MSP/tlscacerts/tlsca.pem
log() { echo "$(date -u +%H:%M:%S) [$CHANNEL $CC $MSP_ID] $*"; }

# The package is rendered, and so is its ID: refuse a package that is not what was rendered.
said=$(peer lifecycle chaincode calculatepackageid "$PACKAGE" 2>&1) ||
  fail "peer could not read the rendered package: $said"
[ "$said" = "$PACKAGE_ID" ] || fail "the package's ID is $said, the rendered one $PACKAGE_ID"

# The sequence the channel has committed for the chaincode (0: none), from our own peer.
committed_sequence() {
  local said
  if said=$(CORE_PEER_ADDRESS=$OWN_PEER timeout 30 peer lifecycle chaincode querycommitted \
    -C "$CHANNEL" -n "$CC" --output json 2>&1); then
    jq -r .sequence <<<"$said"
    return 0
  fi
  case "$said" in
    *"is not defined"*) echo 0 ;;
    *)
      log "querycommitted at $OWN_PEER: $(echo "$said" | tail -n 1)"
      return 1
      ;;
  esac
}

# --- install --------------------------------------------------------------------------
if [ "$(jq -r .runs "$JOB")" = true ]; then
  for address in $(jq -r '.nodes[].address' "$JOB"); do
    while true; do
      if said=$(CORE_PEER_ADDRESS=$address timeout 30 peer lifecycle chaincode queryinstalled \
        --output json 2>&1); then
        if jq -e --arg id "$PACKAGE_ID" 'any(.installed_chaincodes[]?; .package_id == $id)' \
          <<<"$said" >/dev/null; then
          log "$address has $PACKAGE_ID installed already"
          break
        fi
        if said=$(CORE_PEER_ADDRESS=$address timeout 300 peer lifecycle chaincode install \
          "$PACKAGE" 2>&1); then
          log "installed $PACKAGE_ID on $address"
          break
        fi
      fi
      log "install at $address: $(echo "$said" | tail -n 1)"
      wait_or_fail "could not install $PACKAGE_ID on $address"
    done
  done
fi

# --- where the channel stands ---------------------------------------------------------
until have=$(committed_sequence); do wait_or_fail "$OWN_PEER does not answer lifecycle queries"; done
if [ "$have" -gt "$SEQUENCE" ]; then
  fail "the channel has sequence $have of $CC, the blueprint says $SEQUENCE: the blueprint is behind the channel"
fi

need_trust
orderer_args() {
  jq -r '.consenters[] | "\(.host):\(.port) \(.org)"' "$JOB" | head -n "$1" | tail -n 1
}
CONSENTERS=$(jq '.consenters | length' "$JOB")

# Run `peer lifecycle chaincode $1 ...` against each consenter in turn until one accepts.
with_orderer() {
  local verb=$1 i address org said
  shift
  for i in $(seq 1 "$CONSENTERS"); do
    read -r address org <<<"$(orderer_args "$i")"
    if said=$(timeout 120 peer lifecycle chaincode "$verb" -o "$address" --tls \
      --cafile "$(orderer_tls_root "$org")" "$@" 2>&1); then
      echo "$said"
      return 0
    fi
    log "$verb through $address: $(echo "$said" | tail -n 2 | tr '\n' ' ')"
    case "$said" in
      *"attempted to redefine"* | *"unchanged content"*) return 0 ;;
    esac
  done
  return 1
}

# --- approve --------------------------------------------------------------------------
# The definition this organisation approved at this sequence, if any, as the peer says it.
approved() {
  CORE_PEER_ADDRESS=$OWN_PEER timeout 30 peer lifecycle chaincode queryapproved \
    -C "$CHANNEL" -n "$CC" --sequence "$SEQUENCE" --output json 2>/dev/null
}
package_args=()
if [ "$(jq -r .runs "$JOB")" = true ]; then package_args=(--package-id "$PACKAGE_ID"); fi
want_package=$([ "${#package_args[@]}" -gt 0 ] && echo "$PACKAGE_ID" || echo "")
if mine=$(approved) && [ "$(jq -r '.source.Type.LocalPackage.package_id // .source.Type.local_package.package_id // ""' <<<"$mine")" = "$want_package" ] &&
  [ "$(jq -r .version <<<"$mine")" = "$(jq -r .version "$JOB")" ]; then
  log "approved for $MSP_ID already (sequence $SEQUENCE)"
else
  until CORE_PEER_ADDRESS=$OWN_PEER with_orderer approveformyorg "${DEFINITION[@]}" \
    "${package_args[@]}" --peerAddresses "$OWN_PEER" --tlsRootCertFiles "$CORE_PEER_TLS_ROOTCERT_FILE" \
    --waitForEvent >/dev/null; do
    wait_or_fail "could not approve $CC sequence $SEQUENCE for $MSP_ID"
  done
  log "approved $CC sequence $SEQUENCE for $MSP_ID"
fi

# --- commit (one party) ---------------------------------------------------------------
if [ "$(jq -r .committer "$JOB")" = true ]; then
  need=$(jq -r .requiredApprovals "$JOB")
  while true; do
    until have=$(committed_sequence); do wait_or_fail "$OWN_PEER does not answer"; done
    if [ "$have" -ge "$SEQUENCE" ]; then break; fi
    if ready=$(CORE_PEER_ADDRESS=$OWN_PEER timeout 30 peer lifecycle chaincode checkcommitreadiness \
      "${DEFINITION[@]}" --output json 2>&1); then
      count=$(jq '[.approvals[] | select(.)] | length' <<<"$ready")
      if [ "$count" -ge "$need" ]; then
        endorse=()
        while read -r msp address org; do
          if jq -e --arg m "$msp" '.approvals[$m]' <<<"$ready" >/dev/null; then
            endorse+=(--peerAddresses "$address" --tlsRootCertFiles "$WORK/msp/$org/tlscacerts/tlsca.pem")
          fi
        done < <(jq -r '.endorsers[] | "\(.mspID) \(.address) \(.org)"' "$JOB")
        if CORE_PEER_ADDRESS=$OWN_PEER with_orderer commit "${DEFINITION[@]}" "${endorse[@]}" \
          --waitForEvent >/dev/null; then
          log "committed $CC sequence $SEQUENCE ($count approvals)"
          continue
        fi
      else
        wait_or_fail "$count of $need approvals of $CC sequence $SEQUENCE: $(jq -c .approvals <<<"$ready")"
        continue
      fi
    else
      log "checkcommitreadiness: $(echo "$ready" | tail -n 1)"
    fi
    wait_or_fail "could not commit $CC sequence $SEQUENCE"
  done
fi

# --- the channel has it ---------------------------------------------------------------
while true; do
  if have=$(committed_sequence) && [ "$have" -ge "$SEQUENCE" ]; then break; fi
  wait_or_fail "$CC sequence $SEQUENCE is not committed yet (committed by $(jq -r .committerParty "$JOB"))"
done
log "$CC sequence $SEQUENCE is committed on $CHANNEL"
