// The DEK registry: Confluent's JavaScript DekRegistryClient
// (@confluentinc/schemaregistry) against `kavro mock-registry`, and
// kavro's client (tests/dek_client, $KAVRO_DEK_CLIENT) on the same keys,
// run by tests/js_dek_interop.sh.
//
// Usage: node dek.mjs REGISTRY-URL KAVRO WORKDIR
//
// Cases: KEKs and DEKs registered from JS read back from JS (a new
// client each time, so the registry answers, not a cache) and from kavro;
// keys registered by kavro read from JS; the registry's errors as the JS
// client reports them (404 40470, 409 40971); and field-level encryption
// end to end: the JS serializer with an ENCRYPT rule and the local KMS
// registers its KEK and DEK through the mock, and the JS deserializer
// (a new client) decrypts with the DEK it fetches back.
//
// Each case prints one line, "ok CASE" or "FAIL CASE (details in LOG)";
// details go to WORKDIR/js_dek.log.  Exit status 0 when every case
// passed, 1 otherwise.
import { execFileSync } from 'node:child_process';
import {
  AvroDeserializer, AvroSerializer, DekRegistryClient,
  FieldEncryptionExecutor, LocalKmsDriver, SchemaRegistryClient, SerdeType,
} from '@confluentinc/schemaregistry';
import { check, exitStatus, expect, openLog, url } from './contract_lib.mjs';

const dekClient = process.env.KAVRO_DEK_CLIENT;
if (!dekClient) {
  console.error('usage: KAVRO_DEK_CLIENT=PATH node dek.mjs REGISTRY-URL KAVRO WORKDIR');
  process.exit(2);
}
openLog('js_dek');

// A client with no cache of its own: each call asks the registry.
function fresh() {
  return new DekRegistryClient({ baseURLs: [url] });
}

function kavro(...args) {
  try {
    return JSON.parse(execFileSync(dekClient, [url, ...args], { encoding: 'utf8', stdio: 'pipe' }));
  } catch (e) {
    throw new Error(`dek_client ${args.join(' ')}: exit ${e.status}\n${e.stderr || ''}`);
  }
}

// The members both sides must agree on (ts too: the registry's).
function kekView(k) {
  return [k.name, k.kmsType, k.kmsKeyId, k.kmsProps || {}, k.doc || null, !!k.shared, k.ts, !!k.deleted];
}
function dekView(d) {
  return [d.kekName, d.subject, d.version, d.algorithm, d.encryptedKeyMaterial, d.ts, !!d.deleted];
}

async function rejects(what, promise, status, code) {
  try {
    await promise;
  } catch (e) {
    expect(`${what}: status`, e.status, status);
    expect(`${what}: error code`, e.errorCode, code);
    return;
  }
  throw new Error(`${what}: no error`);
}

let kek, dek1, dek2;
await check('JS registerKek, getKek', async () => {
  kek = await fresh().registerKek('kjs', 'local-kms', 'key-js', false, { region: 'here' }, 'orders');
  expect('registered', [kek.name, kek.kmsType, kek.kmsKeyId, kek.kmsProps, kek.doc, kek.shared],
    ['kjs', 'local-kms', 'key-js', { region: 'here' }, 'orders', false]);
  if (!(kek.ts > 1700000000000)) throw new Error(`ts ${kek.ts}`);
  expect('getKek', kekView(await fresh().getKek('kjs')), kekView(kek));
});

await check('JS registerDek (two versions), getDek', async () => {
  dek1 = await fresh().registerDek('kjs', 'orders-value', 'AES256_GCM', 1, 'ZW5jcnlwdGVkLTE=');
  dek2 = await fresh().registerDek('kjs', 'orders-value', 'AES256_GCM', 2, 'ZW5jcnlwdGVkLTI=');
  expect('registered', dekView(dek2).slice(0, 5),
    ['kjs', 'orders-value', 2, 'AES256_GCM', 'ZW5jcnlwdGVkLTI=']);
  expect('version 1', dekView(await fresh().getDek('kjs', 'orders-value', 'AES256_GCM', 1)), dekView(dek1));
  expect('latest', dekView(await fresh().getDek('kjs', 'orders-value', 'AES256_GCM', -1)), dekView(dek2));
});

await check('kavro reads what JS registered', async () => {
  expect('kek', kekView(kavro('get-kek', 'kjs')), kekView(kek));
  expect('dek 1', dekView(kavro('get-dek', 'kjs', 'orders-value', '1')), dekView(dek1));
  expect('latest', dekView(kavro('get-dek', 'kjs', 'orders-value', '-1', 'AES256_GCM')), dekView(dek2));
});

await check('JS reads what kavro registered', async () => {
  const k = kavro('register-kek', 'kc', 'local-kms', 'key-c');
  expect('kek', kekView(await fresh().getKek('kc')), kekView(k));
  const d = kavro('register-dek', 'kc', 'payments value/é', '1', 'a2F2cm8=');
  expect('dek', dekView(await fresh().getDek('kc', 'payments value/é', 'AES256_GCM', 1)), dekView(d));
});

await check('errors as the JS client reports them', async () => {
  await rejects('unknown KEK', fresh().getKek('nokek'), 404, 40470);
  await rejects('unknown DEK', fresh().getDek('kjs', 'nothing', 'AES256_GCM', 1), 404, 40470);
  await rejects('KEK again', fresh().registerKek('kjs', 'local-kms', 'key-js', false), 409, 40971);
  await rejects('DEK version again',
    fresh().registerDek('kjs', 'orders-value', 'AES256_GCM', 1, 'b3RoZXI='), 409, 40971);
  await rejects('DEK without key material', fresh().registerDek('kjs', 'x', 'AES256_GCM', 1), 422, 42271);
});

await check('field-level encryption through the mock (ENCRYPT, local KMS)', async () => {
  LocalKmsDriver.register();
  FieldEncryptionExecutor.register();
  const conf = { baseURLs: [url] };
  const schema = {
    type: 'record', name: 'Payment', namespace: 'com.acme',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'card', type: 'string', 'confluent:tags': ['PII'] },
    ],
  };
  const subject = 'payments-value';
  const sr = SchemaRegistryClient.newClient(conf);
  await sr.register(subject, {
    schemaType: 'AVRO',
    schema: JSON.stringify(schema),
    ruleSet: {
      domainRules: [{
        name: 'encrypt-pii', kind: 'TRANSFORM', mode: 'WRITEREAD', type: 'ENCRYPT', tags: ['PII'],
        params: { 'encrypt.kek.name': 'kfle', 'encrypt.kms.type': 'local-kms', 'encrypt.kms.key.id': 'mykey' },
        onFailure: 'ERROR,NONE',
      }],
    },
  }, false);
  const secret = { secret: 'mysecret' };
  const ser = new AvroSerializer(sr, SerdeType.VALUE, { useLatestVersion: true, ruleConfig: secret });
  const frame = await ser.serialize('payments', { id: 'p-1', card: '4111-1111' });
  if (frame.includes(Buffer.from('4111-1111'))) throw new Error('the card went out in clear');
  const kekRead = await fresh().getKek('kfle');
  expect('kek', [kekRead.kmsType, kekRead.kmsKeyId, kekRead.shared], ['local-kms', 'mykey', false]);
  const dekRead = await fresh().getDek('kfle', subject, 'AES256_GCM', -1);
  expect('dek', [dekRead.version, typeof dekRead.encryptedKeyMaterial], [1, 'string']);
  const de = new AvroDeserializer(SchemaRegistryClient.newClient(conf), SerdeType.VALUE, { ruleConfig: secret });
  expect('decrypted', await de.deserialize('payments', frame), { id: 'p-1', card: '4111-1111' });
});

process.exit(exitStatus());
