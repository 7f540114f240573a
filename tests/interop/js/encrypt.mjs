// Field-level encryption: kavro against Confluent's JavaScript client
// (@confluentinc/schemaregistry: its ENCRYPT executor, local KMS and DEK
// registry client), run by tests/js_encrypt_interop.sh over
// `kavro mock-registry`, which serves the DEK registry.
//
// Usage: node encrypt.mjs REGISTRY-URL KAVRO WORKDIR
//
// Each case registers the catalog's ServiceOrderCreated, its customer's
// email tagged PII (and its phone by a metadata path), with an ENCRYPT
// rule under a KEK of its own, then:
//   JS encrypts, kavro decrypts: `kavro decode` reads the original values;
//   kavro encrypts, JS decrypts: the JS deserializer reads them;
//   for AES256_SIV (deterministic) both write byte-identical frames.
// Then DEK rotation (JS, its clock two days on, makes version 2; kavro
// reads both versions and writes with the newest), a consumer without the
// secret (a clear error, or the ciphertext with onFailure NONE), one
// with another secret (never decrypts), and ENCRYPT_PAYLOAD (an encoding
// rule: the whole body encrypted) both ways.
//
// Each case prints one line, "ok CASE: SUMMARY" or "FAIL CASE (details in
// LOG)"; details go to WORKDIR/js_encrypt.log.  Exit status 0 when every
// case passed, 1 otherwise.
import {
  Clock, EncryptionExecutor, FieldEncryptionExecutor, LocalKmsDriver,
} from '@confluentinc/schemaregistry';
import {
  check, exitStatus, expect, jsRead, jsWrite, kavroRead, kavroWrite, message,
  note, openLog, register, show, type, url,
} from './contract_lib.mjs';

openLog('js_encrypt');
LocalKmsDriver.register();

const SECRET = 'kavro-interop-secret';
const DAY = 24 * 60 * 60 * 1000;

// The JS executor's clock: moved ahead for the rotation case.
class MovableClock extends Clock {
  constructor() { super(); this.offset = 0; }
  now() { return Date.now() + this.offset; }
}
const clock = new MovableClock();
FieldEncryptionExecutor.registerWithClock(clock);
EncryptionExecutor.register();

const js = { ruleConfig: { secret: SECRET } };
const secretEnv = { LOCAL_SECRET: SECRET };
const phoneTag = { tags: { 'com.ahs.fsm.common.CustomerInfo.phone': ['PII'] } };

let kekSerial = 0;
// A rule set with one ENCRYPT rule on PII under a new KEK.
function encryptRules(params = {}, extra = {}) {
  return {
    domainRules: [{
      name: 'encrypt-pii', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT',
      tags: ['PII'], onFailure: 'ERROR',
      params: {
        'encrypt.kek.name': `kek-${++kekSerial}`, 'encrypt.kms.type': 'local-kms',
        'encrypt.kms.key.id': 'interop-key', ...params,
      },
      ...extra,
    }],
  };
}

const messages = [message(),
  message({ 'customer.email': 'ana.silva@example.pt', 'customer.phone': '+351912345678' }),
  message({ 'customer.email': '' })];

// Every frame @results wrote: fails on a refusal.
function frames(results, who) {
  return results.map((x, i) => {
    if (x.verdict !== 'ok') throw new Error(`${who} message ${i + 1}: ${show(x)}`);
    return x.hex;
  });
}

// The customer of a frame's body as it travels.
function wireCustomer(hex) {
  return type.fromBuffer(Buffer.from(hex, 'hex').subarray(5)).customer;
}

// The email and phone of every frame travel encrypted: base64 of more
// bytes than the original, never the original.
function expectEncrypted(hexes, originals) {
  hexes.forEach((hex, i) => {
    const c = wireCustomer(hex), o = originals[i].customer;
    for (const f of ['email', 'phone']) {
      if (c[f] === o[f] || Buffer.from(c[f], 'base64').length <= o[f].length)
        throw new Error(`frame ${i + 1}: ${f} travels as ${JSON.stringify(c[f])}`);
    }
    expect(`frame ${i + 1}: customer name`, c.name, o.name);
  });
}

function expectValues(results, who, originals) {
  results.forEach((x, i) => {
    if (x.verdict !== 'ok') throw new Error(`${who} message ${i + 1}: ${show(x)}`);
    expect(`${who} message ${i + 1}`, type.toString(x.value), type.toString(originals[i]));
  });
}

// Both directions with @algorithm; the frames of each side.
async function bothWays(algorithm) {
  const params = algorithm ? { 'encrypt.dek.algorithm': algorithm } : {};
  const topic = await register(encryptRules(params), phoneTag, 'encrypt');
  const jsFrames = frames(await jsWrite(topic, messages, js), 'JS');
  expectEncrypted(jsFrames, messages);
  const k = kavroRead(topic, jsFrames, [], secretEnv);
  expect('kavro decode exit status', k.status, 0);
  expectValues(k.results, 'kavro', messages);
  const kw = kavroWrite(topic, messages, [], secretEnv);
  expect('kavro encode exit status', kw.status, 0);
  const kFrames = frames(kw.results, 'kavro');
  expectEncrypted(kFrames, messages);
  expectValues(await jsRead(topic, kFrames, js), 'JS', messages);
  return { topic, jsFrames, kFrames };
}

for (const algorithm of ['AES128_GCM', 'AES256_GCM']) {
  await check(`${algorithm}: JS encrypts, kavro decrypts; kavro encrypts, JS decrypts`, async () => {
    const { jsFrames, kFrames } = await bothWays(algorithm);
    if (jsFrames.some((hex, i) => hex === kFrames[i]))
      throw new Error('a GCM frame repeated: the IV is not random');
    return `${messages.length} messages each way, email and phone encrypted`;
  });
}

await check('AES256_SIV: both ways, and the very same bytes from both clients', async () => {
  const { jsFrames, kFrames } = await bothWays('AES256_SIV');
  jsFrames.forEach((hex, i) => expect(`frame ${i + 1} (kavro vs JS)`, kFrames[i], hex));
  return `${messages.length} messages each way, frames byte-identical`;
});

await check('the default algorithm (AES256_GCM) both ways', async () => {
  await bothWays(null);
  return `${messages.length} messages each way`;
});

await check('DEK rotation: JS two days on makes version 2; kavro reads both, writes with the newest', async () => {
  const topic = await register(encryptRules({ 'encrypt.dek.expiry.days': '1' }), phoneTag, 'encrypt');
  const v1 = frames(await jsWrite(topic, [messages[0]], js), 'JS');
  clock.offset = 2 * DAY;
  let v2;
  try {
    v2 = frames(await jsWrite(topic, [messages[1]], js), 'JS');
  } finally {
    clock.offset = 0;
  }
  const version = (hex) => Buffer.from(wireCustomer(hex).email, 'base64').readInt32BE(1);
  expect('version of the first frame', version(v1[0]), 1);
  expect('version of the second frame', version(v2[0]), 2);
  const k = kavroRead(topic, [v1[0], v2[0]], [], secretEnv);
  expectValues(k.results, 'kavro', [messages[0], messages[1]]);
  // Each field asks for the DEK: JS's phone, its clock still two days
  // ahead of the registry's time stamps, found version 2 old too and made
  // version 3.  kavro writes with the newest.
  const latest = await (await fetch(`${url}/dek-registry/v1/keks/kek-${kekSerial}/deks/` +
    `${topic}-value/versions/latest?algorithm=AES256_GCM`)).json();
  note(`the registry's newest DEK: version ${latest.version}`);
  if (!(latest.version >= 2)) throw new Error(`newest DEK: ${JSON.stringify(latest)}`);
  const kw = kavroWrite(topic, [messages[2]], [], secretEnv);
  const kFrames = frames(kw.results, 'kavro');
  expect('version kavro writes with', version(kFrames[0]), latest.version);
  expectValues(await jsRead(topic, kFrames, js), 'JS', [messages[2]]);
  return `versions 1 and 2 read by kavro, kavro writes version ${latest.version}, JS reads it`;
});

await check('a consumer without the secret: a clear error, or the ciphertext with onFailure NONE', async () => {
  const topic = await register(encryptRules(), phoneTag, 'encrypt');
  const hexes = frames(await jsWrite(topic, [messages[0]], js), 'JS');
  const k = kavroRead(topic, hexes, [], { LOCAL_SECRET: undefined });
  expect('kavro exit status', k.status, 1);
  if (!/encrypt-pii/.test(k.stderr) || !/secret/.test(k.stderr))
    throw new Error(`kavro's error names neither the rule nor the secret: ${k.stderr}`);
  const lenient = await register(encryptRules({}, { onFailure: 'ERROR,NONE' }), phoneTag, 'encrypt');
  const lenientFrames = frames(await jsWrite(lenient, [messages[0]], js), 'JS');
  const kn = kavroRead(lenient, lenientFrames, [], { LOCAL_SECRET: undefined });
  expect('kavro exit status (NONE)', kn.status, 0);
  expect('the email as it travelled', kn.results[0].value.customer.email,
    wireCustomer(lenientFrames[0]).email);
  return 'an error naming the rule; with NONE the ciphertext, as JS writes it';
});

await check('a consumer with another secret never decrypts', async () => {
  const topic = await register(encryptRules(), phoneTag, 'encrypt');
  const hexes = frames(await jsWrite(topic, [messages[0]], js), 'JS');
  const k = kavroRead(topic, hexes, [], { LOCAL_SECRET: 'another-secret' });
  note(`kavro: ${k.stderr.trim()}`);
  expect('kavro exit status', k.status, 1);
  if (!/does not authenticate/.test(k.stderr))
    throw new Error(`kavro's error: ${k.stderr}`);
  if (k.stderr.includes('another-secret')) throw new Error('kavro printed the secret');
  return 'refused: the DEK does not authenticate under that KEK';
});

await check('ENCRYPT_PAYLOAD (the whole body): JS encrypts, kavro decrypts, and back', async () => {
  const topic = await register({ encodingRules: [{
    name: 'seal-payload', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT_PAYLOAD',
    onFailure: 'ERROR',
    params: { 'encrypt.kek.name': `kek-${++kekSerial}`, 'encrypt.kms.type': 'local-kms',
      'encrypt.kms.key.id': 'interop-key' } }] }, undefined, 'encrypt');
  const jsFrames = frames(await jsWrite(topic, messages, js), 'JS');
  const body = (hex) => Buffer.from(hex, 'hex').subarray(5);
  jsFrames.forEach((hex, i) => {
    if (body(hex).length !== type.toBuffer(messages[i]).length + 28)
      throw new Error(`frame ${i + 1}: a body of ${body(hex).length} bytes`);
  });
  expectValues(kavroRead(topic, jsFrames, [], secretEnv).results, 'kavro', messages);
  const kFrames = frames(kavroWrite(topic, messages, [], secretEnv).results, 'kavro');
  expectValues(await jsRead(topic, kFrames, js), 'JS', messages);
  return `${messages.length} messages each way, bodies sealed whole`;
});

process.exit(exitStatus());
