// The example application: a Fabric Gateway client that knows nothing but what hlfc gives
// an application team.
//
//   PROFILE  the rendered connection profile (ConfigMap <org>-connection-profile)
//   TRUST    the directory `hlfc trust` filled from the profile's trust.json: the TLS roots
//            the profile's `tlsCACerts.path` entries name, relative to it
//   MSP      the identity's MSP Secret (<org>-<identity>-msp): signcert.pem, key.pem
//   STEPS    a JSON list of steps, each {peer, op, fn, args, transient, endorsers}, where
//            peer is a peer's name in the profile (the gateway to use) and op one of
//            submit | evaluate
//
// Prints one JSON line per step: {"step": i, "ok": true, "result": "..."} or
// {"step": i, "ok": false, "error": "...", "code": ...}. Exits 0 once every step has run.
'use strict';

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const { connect, hash, signers } = require('@hyperledger/fabric-gateway');

function need(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

const profile = JSON.parse(fs.readFileSync(need('PROFILE'), 'utf8'));
const trust = need('TRUST');
const msp = need('MSP');
const steps = JSON.parse(need('STEPS'));
const channel = process.env.CHANNEL || Object.keys(profile.channels)[0];
const org = profile.organizations[profile.client.organization];

function pem(entry) {
  if (entry.pem) {
    return Buffer.from(entry.pem);
  }
  return fs.readFileSync(path.join(trust, entry.path));
}

const connections = new Map();

function gateway(peerName) {
  if (connections.has(peerName)) {
    return connections.get(peerName);
  }
  const peer = profile.peers[peerName];
  if (!peer) {
    throw new Error(`peer ${peerName} is not in the connection profile`);
  }
  const target = new URL(peer.url);
  const options = {};
  const override = peer.grpcOptions && peer.grpcOptions['ssl-target-name-override'];
  if (override) {
    options['grpc.ssl_target_name_override'] = override;
  }
  const client = new grpc.Client(
    target.host,
    grpc.credentials.createSsl(pem(peer.tlsCACerts)),
    options,
  );
  const gw = connect({
    client,
    identity: { mspId: org.mspid, credentials: fs.readFileSync(path.join(msp, 'signcert.pem')) },
    signer: signers.newPrivateKeySigner(
      crypto.createPrivateKey(fs.readFileSync(path.join(msp, 'key.pem'))),
    ),
    hash: hash.sha256,
    evaluateOptions: () => ({ deadline: Date.now() + 30000 }),
    endorseOptions: () => ({ deadline: Date.now() + 60000 }),
    submitOptions: () => ({ deadline: Date.now() + 30000 }),
    commitStatusOptions: () => ({ deadline: Date.now() + 120000 }),
  });
  connections.set(peerName, { gw, client });
  return connections.get(peerName);
}

function describe(err) {
  const out = { error: err.message };
  if (err.code !== undefined) {
    out.code = err.code;
  }
  if (err.details && err.details.length) {
    out.details = err.details.map((d) => `${d.mspId || ''} ${d.address || ''}: ${d.message}`);
  }
  if (err.transactionId) {
    out.transactionId = err.transactionId;
  }
  return out;
}

async function run(step) {
  const { gw } = gateway(step.peer);
  const contract = gw.getNetwork(step.channel || channel).getContract(step.chaincode);
  const transientData = {};
  for (const [key, value] of Object.entries(step.transient || {})) {
    transientData[key] = Buffer.from(value);
  }
  const proposal = contract.newProposal(step.fn, {
    arguments: step.args || [],
    transientData,
    ...(step.endorsers ? { endorsingOrganizations: step.endorsers } : {}),
  });
  if (step.op === 'evaluate') {
    return Buffer.from(await proposal.evaluate()).toString();
  }
  if (step.op !== 'submit') {
    throw new Error(`unknown op ${step.op}`);
  }
  const transaction = await proposal.endorse();
  const commit = await transaction.submit();
  const status = await commit.getStatus();
  if (!status.successful) {
    const err = new Error(`transaction ${status.transactionId} failed to commit with status ${status.code}`);
    err.code = status.code;
    err.transactionId = status.transactionId;
    throw err;
  }
  return Buffer.from(transaction.getResult()).toString();
}

async function main() {
  for (const [i, step] of steps.entries()) {
    let line;
    try {
      line = { step: i, ok: true, result: await run(step) };
    } catch (err) {
      line = { step: i, ok: false, ...describe(err) };
    }
    line.at = Date.now(); // when the step ended: lets a test see gaps in ordering
    console.log(JSON.stringify(line));
  }
  for (const { gw, client } of connections.values()) {
    gw.close();
    client.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
