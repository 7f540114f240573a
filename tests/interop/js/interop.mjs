// kavro against Confluent's JavaScript Schema Registry client
// (@confluentinc/schemaregistry), run by tests/js_interop.sh.
//
// Usage: node interop.mjs REGISTRY-URL KAVRO WORKDIR
//
// Each case prints one line, "ok CASE" or "FAIL CASE (details in LOG)";
// the details of a failure go to WORKDIR/js_interop.log.  Exit status 0
// when every case passed, 1 otherwise.
//
// The data keeps longs within +-2^52: avsc, the client's Avro library,
// refuses or misreads longer ones.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import {
  AvroDeserializer, AvroSerializer, HeaderSchemaIdSerializer,
  SchemaRegistryClient, SerdeType, VALUE_SCHEMA_ID_HEADER,
} from '@confluentinc/schemaregistry';

const [url, kavro, work] = process.argv.slice(2);
if (!work) {
  console.error('usage: node interop.mjs REGISTRY-URL KAVRO WORKDIR');
  process.exit(2);
}
const log = join(work, 'js_interop.log');
writeFileSync(log, '');

const schema = {
  type: 'record', name: 'ServiceOrder', namespace: 'interop.js',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'qty', type: 'int' },
    { name: 'title', type: 'string' },
    { name: 'price', type: 'double' },
    { name: 'urgent', type: 'boolean' },
    { name: 'state', type: { type: 'enum', name: 'State', symbols: ['OPEN', 'DONE'] } },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'attrs', type: { type: 'map', values: 'long' } },
    { name: 'note', type: ['null', 'string'], default: null },
    { name: 'blob', type: 'bytes' },
  ],
};
const type = avro.Type.forSchema(schema);
const values = [
  { id: 2 ** 52, qty: -7, title: 'π and ümlauts', price: 0.1, urgent: true,
    state: 'OPEN', tags: ['a', ''], attrs: { k: -(2 ** 52), z: 0 },
    note: 'hello', blob: Buffer.from([0, 1, 0xfe, 0xff]) },
  { id: -1, qty: 2147483647, title: '', price: -1.5e300, urgent: false,
    state: 'DONE', tags: [], attrs: {}, note: null, blob: Buffer.alloc(0) },
];
const schemaInfo = { schemaType: 'AVRO', schema: JSON.stringify(schema) };
const subject = 'interop-value';
const topic = 'interop';
const client = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });

let failures = 0;
async function check(name, body) {
  try {
    await body();
    console.log(`ok ${name}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name} (details in ${log})`);
    appendFileSync(log, `--- ${name}\n${e && e.stack ? e.stack : e}\n`);
  }
}

function expect(what, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`);
}

function isGuid(text) {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text);
}

// Run a program with @input on standard input; its standard output, or
// an error carrying its standard error.
function run(program, args, input) {
  try {
    return execFileSync(program, args, { input, encoding: 'utf8', stdio: 'pipe' });
  } catch (e) {
    throw new Error(`${program} ${args.join(' ')}: ${e.status === null ? e.message : `exit ${e.status}`}\n${e.stderr || ''}`);
  }
}

// Each Avro JSON line kavro printed must be the value of the same index.
function expectValues(output) {
  const lines = output.trim().split('\n');
  expect('datums', lines.length, values.length);
  lines.forEach((line, i) => {
    const got = type.fromString(line);
    if (!type.toBuffer(got).equals(type.toBuffer(values[i])))
      throw new Error(`datum ${i}: kavro printed ${line}, want ${type.toString(values[i])}`);
  });
}

let registered;
await check('register (full response, CP 8 form with guid)', async () => {
  registered = await client.registerFullResponse(subject, schemaInfo, false);
  if (!(registered.id >= 1)) throw new Error(`id ${registered.id}`);
  if (!isGuid(registered.guid)) throw new Error(`guid ${registered.guid}`);
  expect('id of register', await client.register(subject, schemaInfo, false), registered.id);
});

await check('getBySubjectAndId', async () => {
  const info = await client.getBySubjectAndId(subject, registered.id);
  expect('schema', type.equals(avro.Type.forSchema(JSON.parse(info.schema))), true);
});

await check('lookup (getId, getIdFullResponse)', async () => {
  expect('id', await client.getId(subject, schemaInfo, false), registered.id);
  const full = await client.getIdFullResponse(subject, schemaInfo, false);
  expect('lookup', [full.id, full.version, full.guid], [registered.id, 1, registered.guid]);
});

await check('getLatestSchemaMetadata', async () => {
  const latest = await client.getLatestSchemaMetadata(subject);
  expect('latest', [latest.id, latest.version, latest.guid], [registered.id, 1, registered.guid]);
});

await check('getByGuid and GET /schemas/guids/{guid}', async () => {
  const info = await client.getByGuid(registered.guid);
  expect('schema', type.equals(avro.Type.forSchema(JSON.parse(info.schema))), true);
  const rest = await fetch(`${url}/schemas/guids/${registered.guid}/ids`);
  expect('status', rest.status, 200);
});

await check('config get and put', async () => {
  expect('put subject', (await client.updateConfig(subject, { compatibility: 'FULL' })).compatibility, 'FULL');
  expect('get subject', (await client.getConfig(subject)).compatibilityLevel, 'FULL');
  expect('put global', (await client.updateDefaultConfig({ compatibility: 'BACKWARD_TRANSITIVE' })).compatibility,
    'BACKWARD_TRANSITIVE');
  expect('get global', (await client.getDefaultConfig()).compatibilityLevel, 'BACKWARD_TRANSITIVE');
  expect('compatibility', await client.getCompatibility(subject), 'FULL');
});

await check('JS serializer (prefix) -> kavro decode', async () => {
  const ser = new AvroSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: false, useLatestVersion: true });
  const lines = [];
  for (const v of values) {
    const frame = await ser.serialize(topic, v);
    expect('magic and id', [frame[0], frame.readInt32BE(1)], [0, registered.id]);
    lines.push(frame.toString('hex'));
  }
  expectValues(run(kavro, ['decode', '--registry', url, '--hex'], lines.join('\n') + '\n'));
});

await check('JS serializer (header id) -> kavro decode', async () => {
  const ser = new AvroSerializer(client, SerdeType.VALUE,
    { autoRegisterSchemas: false, useLatestVersion: true, schemaIdSerializer: HeaderSchemaIdSerializer });
  const lines = [];
  for (const v of values) {
    const headers = {};
    const body = await ser.serialize(topic, v, headers);
    const header = Buffer.from(headers[VALUE_SCHEMA_ID_HEADER]);
    expect('header', [header.length, header[0]], [17, 1]);
    expect('guid in header', header.subarray(1).toString('hex'), registered.guid.replaceAll('-', ''));
    lines.push(`${header.toString('hex')} ${body.toString('hex')}`);
  }
  expectValues(run(kavro, ['decode', '--registry', url, '--hex'], lines.join('\n') + '\n'));
});

/* kavro encode in either id format, read back by the JS deserializer
 * (which, like Confluent's other clients, reads the header first). */
for (const format of ['prefix', 'header']) {
  await check(`kavro encode (${format} id) -> JS deserializer`, async () => {
    const schemaFile = join(work, 'interop.avsc');
    writeFileSync(schemaFile, JSON.stringify(schema));
    const input = values.map((v) => type.toString(v)).join('\n') + '\n';
    const out = run(kavro, ['encode', '--registry', url, '--subject', subject,
      '--schema', schemaFile, '--hex', '--schema-id-format', format], input).trim().split('\n');
    expect('frames', out.length, values.length);
    const des = new AvroDeserializer(client, SerdeType.VALUE, {});
    for (let i = 0; i < out.length; i++) {
      const words = out[i].split(' ');
      let got;
      if (format === 'prefix') {
        expect('words', words.length, 1);
        const frame = Buffer.from(words[0], 'hex');
        expect('id', frame.readInt32BE(1), registered.id);
        got = await des.deserialize(topic, frame);
      } else {
        expect('words', words.length, 2);
        const header = Buffer.from(words[0], 'hex');
        expect('guid in header', header.subarray(1).toString('hex'), registered.guid.replaceAll('-', ''));
        got = await des.deserialize(topic, Buffer.from(words[1], 'hex'),
          { [VALUE_SCHEMA_ID_HEADER]: header });
      }
      if (!type.toBuffer(got).equals(type.toBuffer(values[i])))
        throw new Error(`datum ${i}: JS read ${type.toString(got)}, want ${type.toString(values[i])}`);
    }
  });
}

/* A schema context, both ways: the JS client names its subject in
 * context .orders (its strategy returns the qualified subject, and its
 * deserializer looks ids up with ?subject= as Java's does), kavro with
 * --context.  The context's id 1 is another schema than the default
 * context's, so reading in the wrong context cannot pass. */
const contextSchema = {
  type: 'record', name: 'ContextOrder', namespace: 'interop.js',
  fields: [{ name: 'code', type: 'string' }, { name: 'n', type: 'int' }],
};
const contextType = avro.Type.forSchema(contextSchema);
const contextValues = [{ code: 'ctx-α', n: -3 }, { code: '', n: 2147483647 }];
const inContext = { subjectNameStrategy: (t, serdeType) =>
  `:.orders:${t}-${serdeType === SerdeType.KEY ? 'key' : 'value'}` };

await check('JS serializer in a context -> kavro decode --context', async () => {
  const id = await client.register(':.orders:interop-value',
    { schemaType: 'AVRO', schema: JSON.stringify(contextSchema) }, false);
  const ser = new AvroSerializer(client, SerdeType.VALUE,
    { autoRegisterSchemas: false, useLatestVersion: true, ...inContext });
  const lines = [];
  for (const v of contextValues) {
    const frame = await ser.serialize(topic, v);
    lines.push(frame.toString('hex'));
  }
  expect('id in the frame', Buffer.from(lines[0], 'hex').readInt32BE(1), id);
  const inOrders = await client.getBySubjectAndId(':.orders:', id);
  expect('schema in .orders', contextType.equals(avro.Type.forSchema(JSON.parse(inOrders.schema))), true);
  const out = run(kavro, ['decode', '--registry', url, '--hex', '--topic', topic,
    '--context', '.orders'], lines.join('\n') + '\n').trim().split('\n');
  expect('datums', out.length, contextValues.length);
  out.forEach((line, i) => {
    if (!contextType.toBuffer(contextType.fromString(line)).equals(contextType.toBuffer(contextValues[i])))
      throw new Error(`datum ${i}: kavro printed ${line}`);
  });
});

await check('kavro encode --context -> JS deserializer in the context', async () => {
  const schemaFile = join(work, 'context.avsc');
  writeFileSync(schemaFile, JSON.stringify(contextSchema));
  const input = contextValues.map((v) => contextType.toString(v)).join('\n') + '\n';
  const out = run(kavro, ['encode', '--registry', url, '--topic', topic,
    '--context', 'orders', '--schema', schemaFile, '--hex'], input).trim().split('\n');
  const des = new AvroDeserializer(client, SerdeType.VALUE, { ...inContext });
  for (let i = 0; i < out.length; i++) {
    const got = await des.deserialize(topic, Buffer.from(out[i], 'hex'));
    if (!contextType.toBuffer(got).equals(contextType.toBuffer(contextValues[i])))
      throw new Error(`datum ${i}: JS read ${contextType.toString(got)}`);
  }
  const contexts = await (await fetch(`${url}/contexts`)).json();
  expect('contexts', contexts.includes('.orders'), true);
});

/* kavro encode of contextValues with extra arguments; one hex frame per
 * datum. */
function kavroEncode(registry, args) {
  const schemaFile = join(work, 'context.avsc');
  writeFileSync(schemaFile, JSON.stringify(contextSchema));
  const input = contextValues.map((v) => contextType.toString(v)).join('\n') + '\n';
  return run(kavro, ['encode', '--registry', registry, '--schema', schemaFile,
    '--hex', ...args], input).trim().split('\n');
}

/* Each line kavro decode printed must be the contextValues of its index. */
function expectContextValues(output) {
  const lines = output.trim().split('\n');
  expect('datums', lines.length, contextValues.length);
  lines.forEach((line, i) => {
    if (!contextType.toBuffer(contextType.fromString(line)).equals(contextType.toBuffer(contextValues[i])))
      throw new Error(`datum ${i}: kavro printed ${line}`);
  });
}

async function expectJsReads(des, topicName, frames) {
  for (let i = 0; i < frames.length; i++) {
    const got = await des.deserialize(topicName, Buffer.from(frames[i], 'hex'));
    if (!contextType.toBuffer(got).equals(contextType.toBuffer(contextValues[i])))
      throw new Error(`datum ${i}: JS read ${contextType.toString(got)}`);
  }
}

const contextInfo = { schemaType: 'AVRO', schema: JSON.stringify(contextSchema) };

/* An association names the topic's subject: the JS client's default
 * strategy (AssociatedNameStrategy, topic fallback) and kavro's. */
await check('associations: JS AssociatedNameStrategy <-> kavro', async () => {
  const assocTopic = 'assoc-topic';
  const id = await client.register('assoc-orders', contextInfo, false);
  const created = await client.createAssociation({
    resourceName: assocTopic, resourceNamespace: 'lkc-interop', resourceId: 'topic-1',
    resourceType: 'topic', associations: [{ subject: 'assoc-orders', associationType: 'value' }],
  });
  expect('created', created.associations.map((a) => a.subject), ['assoc-orders']);
  const found = await client.getAssociationsByResourceName(assocTopic, '-', 'topic', ['value'], null, 0, -1);
  expect('found', found.map((a) => [a.subject, a.resourceId]), [['assoc-orders', 'topic-1']]);
  /* No subject assoc-topic-value exists: the topic fallback would fail. */
  const ser = new AvroSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: false, useLatestVersion: true });
  const lines = [];
  for (const v of contextValues) {
    const frame = await ser.serialize(assocTopic, v);
    expect('id', frame.readInt32BE(1), id);
    lines.push(frame.toString('hex'));
  }
  expectContextValues(run(kavro, ['decode', '--registry', url, '--hex'], lines.join('\n') + '\n'));
  const frames = kavroEncode(url, ['--topic', assocTopic, '-X', 'subject.name.strategy=AssociatedNameStrategy',
    '-X', 'auto.register.schemas=false']);
  expect('kavro id', Buffer.from(frames[0], 'hex').readInt32BE(1), id);
  await expectJsReads(new AvroDeserializer(client, SerdeType.VALUE, {}), assocTopic, frames);
  const subjects = await client.getAllSubjects();
  expect('no fallback subject', subjects.includes(`${assocTopic}-value`), false);
});

/* Metadata on versions, and the latest version with given metadata
 * (GET /subjects/{s}/metadata), on both sides. */
await check('metadata: useLatestWithMetadata <-> use.latest.with.metadata', async () => {
  const subj = 'meta-topic-value';
  const register = (owner) => client.register(subj,
    { ...contextInfo, metadata: { properties: { owner } } }, false);
  await register('legacy');
  const fsmId = await register('fsm');
  const otherId = await register('other');
  if (fsmId === otherId) throw new Error('metadata alone should give another id');
  const latest = await client.getLatestWithMetadata(subj, { owner: 'fsm' });
  expect('latest with owner=fsm', [latest.id, latest.version], [fsmId, 2]);
  const ser = new AvroSerializer(client, SerdeType.VALUE,
    { autoRegisterSchemas: false, useLatestWithMetadata: { owner: 'fsm' } });
  const lines = [];
  for (const v of contextValues) {
    const frame = await ser.serialize('meta-topic', v);
    expect('JS id', frame.readInt32BE(1), fsmId);
    lines.push(frame.toString('hex'));
  }
  expectContextValues(run(kavro, ['decode', '--registry', url, '--hex'], lines.join('\n') + '\n'));
  const frames = kavroEncode(url, ['--topic', 'meta-topic', '-X', 'use.latest.with.metadata=owner=fsm',
    '-X', 'auto.register.schemas=false']);
  expect('kavro id', Buffer.from(frames[0], 'hex').readInt32BE(1), fsmId);
  await expectJsReads(new AvroDeserializer(client, SerdeType.VALUE, {}), 'meta-topic', frames);
});

/* The REST surface the JS client reaches: normalize (two spellings, one
 * id), format=resolved (references written inline), and a soft-deleted
 * version registered again (CP 6.2+: the old version is gone, the schema
 * gets the next one). */
await check('REST: normalize, format=resolved, re-registering a soft-deleted version', async () => {
  const spelled = (doc) => ({ schemaType: 'AVRO', schema: doc });
  const a = await client.register('norm-value', spelled(
    '{"type":"record","name":"N","fields":[{"name":"f","type":"int"}],"x-b":1,"x-a":2}'), true);
  const b = await client.register('norm-value', spelled(
    '{"fields":[{"type":{"type":"int"},"name":"f"}],"x-a":2,"name":"N","x-b":1,"type":"record"}'), true);
  expect('normalized ids', b, a);
  expect('versions', await client.getAllVersions('norm-value'), [1]);

  const money = { type: 'record', name: 'Money', namespace: 'interop.js',
    fields: [{ name: 'cents', type: 'long' }] };
  await client.register('money-value', spelled(JSON.stringify(money)), false);
  const price = { type: 'record', name: 'Price', namespace: 'interop.js',
    fields: [{ name: 'amount', type: 'interop.js.Money' }] };
  const priceId = await client.register('price-value', { schemaType: 'AVRO',
    schema: JSON.stringify(price),
    references: [{ name: 'interop.js.Money', subject: 'money-value', version: 1 }] }, false);
  const resolved = await client.getBySubjectAndId('price-value', priceId, 'resolved');
  const inline = avro.Type.forSchema(JSON.parse(resolved.schema)); // no references needed
  expect('resolved reads alone', inline.fromString('{"amount":{"cents":5}}').amount.cents, 5);

  const v1 = spelled(JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] }));
  const v2 = spelled(JSON.stringify({ type: 'record', name: 'R',
    fields: [{ name: 'a', type: 'int' }, { name: 'b', type: 'int', default: 0 }] }));
  const id1 = await client.register('rereg-value', v1, false);
  await client.register('rereg-value', v2, false);
  expect('soft delete', await client.deleteSubjectVersion('rereg-value', 1, false), 1);
  client.clearCaches(); /* the client remembers what it registered */
  expect('registered again', await client.register('rereg-value', v1, false), id1);
  expect('versions after', await client.getAllVersions('rereg-value'), [2, 3]);
  expect('its version', await client.getVersion('rereg-value', v1, false, false), 3);
  let gone = null;
  try {
    await client.getSchemaMetadata('rereg-value', 1, true);
  } catch (e) {
    gone = e.errorCode;
  }
  expect('the soft-deleted version 1, even with deleted=true', gone, 40402);
});

/* OAuth client credentials against `kavro mock-registry --oauth`: the JS
 * client and kavro each fetch a token from its endpoint and call with it. */
await check('OAuth: JS client and kavro against mock-registry --oauth', async () => {
  const server = spawn(kavro, ['mock-registry', '--oauth', 'svc:cs-interop-secret:600'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const secured = await new Promise((resolve, reject) => {
      let out = '';
      server.stdout.on('data', (chunk) => {
        out += chunk;
        const m = out.match(/listening on (\S+)/);
        if (m) resolve(m[1]);
      });
      server.on('exit', (code) => reject(new Error(`mock-registry exited ${code}`)));
    });
    const issuer = `${secured}/oauth/token`;
    const oauth = new SchemaRegistryClient({ baseURLs: [secured], maxRetries: 0,
      bearerAuthCredentials: { credentialsSource: 'OAUTHBEARER', issuerEndpointUrl: issuer,
        clientId: 'svc', clientSecret: 'cs-interop-secret', scope: 'schema_registry',
        logicalCluster: 'lsrc-interop', identityPoolId: 'pool-interop' } });
    const unauthorized = await fetch(`${secured}/subjects`);
    expect('without a token', unauthorized.status, 401);
    const id = await oauth.register('oauth-topic-value', contextInfo, false);
    const ser = new AvroSerializer(oauth, SerdeType.VALUE, { autoRegisterSchemas: false, useLatestVersion: true });
    const lines = [];
    for (const v of contextValues) lines.push((await ser.serialize('oauth-topic', v)).toString('hex'));
    const bearer = ['-X', 'bearer.auth.credentials.source=OAUTHBEARER',
      '-X', `bearer.auth.issuer.endpoint.url=${issuer}`, '-X', 'bearer.auth.client.id=svc',
      '-X', 'bearer.auth.client.secret=cs-interop-secret', '-X', 'bearer.auth.scope=schema_registry'];
    expectContextValues(run(kavro, ['decode', '--registry', secured, '--hex', ...bearer],
      lines.join('\n') + '\n'));
    const frames = kavroEncode(secured, ['--topic', 'oauth-topic', ...bearer]);
    expect('kavro id', Buffer.from(frames[0], 'hex').readInt32BE(1), id);
    await expectJsReads(new AvroDeserializer(oauth, SerdeType.VALUE,
      { subjectNameStrategy: (t) => `${t}-value` }), 'oauth-topic', frames);
  } finally {
    server.kill('SIGTERM');
  }
});

process.exit(failures ? 1 : 0);
