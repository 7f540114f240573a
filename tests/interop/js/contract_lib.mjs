// What the JavaScript interop scripts of data contracts share (rules.mjs,
// encrypt.mjs, dek.mjs): the catalog's ServiceOrderCreated and its messages, the
// registry client, the JS serializer and deserializer, `kavro encode` and
// `kavro decode` run over the same messages, and the log of verdicts.
//
// A script runs as `node SCRIPT REGISTRY-URL KAVRO WORKDIR`, calls
// openLog() first, check() per case, and exits with exitStatus().
import { spawnSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import avro from 'avsc';
import {
  AvroDeserializer, AvroSerializer, SchemaRegistryClient, SerdeType,
} from '@confluentinc/schemaregistry';

// The script's arguments, and its log (WORKDIR/NAME.log).
const [url, kavro, work] = process.argv.slice(2);
if (!work) {
  console.error(`usage: node ${process.argv[1]} REGISTRY-URL KAVRO WORKDIR`);
  process.exit(2);
}
let log;
export { url, kavro, work };

// Start the log of the script: WORKDIR/@name.log; its path.
export function openLog(name) {
  log = join(work, `${name}.log`);
  writeFileSync(log, '');
  return log;
}

export const schema = {
  type: 'record', name: 'ServiceOrderCreated', namespace: 'com.ahs.fsm.events.projects',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'event_timestamp', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'service_order_id', type: 'string' },
    { name: 'country_code', type: 'string' },
    { name: 'estimated_duration_min', type: 'int' },
    { name: 'requires_confirmation_tv', type: 'boolean' },
    { name: 'depends_on_order_id', type: ['null', 'string'], default: null },
    { name: 'customer', type: {
      type: 'record', name: 'CustomerInfo', namespace: 'com.ahs.fsm.common',
      fields: [
        { name: 'customer_id', type: 'string' },
        { name: 'name', type: 'string' },
        { name: 'email', type: 'string', 'confluent:tags': ['PII'] },
        { name: 'phone', type: 'string' },
      ] } },
    { name: 'address', type: {
      type: 'record', name: 'DeliveryAddress', namespace: 'com.ahs.fsm.common',
      fields: [
        { name: 'street', type: 'string' },
        { name: 'city', type: 'string' },
        { name: 'postal_code', type: 'string' },
        { name: 'country', type: 'string' },
      ] } },
    { name: 'amount', type: {
      type: 'record', name: 'Amount', namespace: 'com.ahs.fsm.common',
      fields: [
        { name: 'value', type: 'double' },
        { name: 'currency', type: 'string' },
      ] } },
  ],
};
export const type = avro.Type.forSchema(schema);
export const schemaFile = join(work, 'ServiceOrderCreated.avsc');
writeFileSync(schemaFile, JSON.stringify(schema));

// Every field truthy: JS's falsy-field departure (3) stays out of the
// cases that expect both clients to agree.
export const base = {
  event_id: 'ev-1', event_timestamp: 1765094400000, service_order_id: 'SO-1',
  country_code: 'FR', estimated_duration_min: 90, requires_confirmation_tv: true,
  depends_on_order_id: 'SO-0',
  customer: { customer_id: 'C-1', name: 'Zoé Martin', email: 'zoe.martin@example.fr',
    phone: '+33612345678' },
  address: { street: '1 rue de la Paix', city: 'Paris', postal_code: '75002', country: 'FR' },
  amount: { value: 129.5, currency: 'EUR' },
};

// The base message with the dotted paths of @changes set.
export function message(changes = {}) {
  const m = structuredClone(base);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.split('.');
    const last = keys.pop();
    keys.reduce((o, k) => o[k], m)[last] = value;
  }
  return m;
}

export const client = new SchemaRegistryClient({ baseURLs: [url], maxRetries: 0 });
let failures = 0;

// The exit status the script owes: 1 when a case failed.
export function exitStatus() {
  return failures ? 1 : 0;
}

export function note(text) {
  appendFileSync(log, `  ${text}\n`);
}

export async function check(name, body) {
  appendFileSync(log, `--- ${name}\n`);
  try {
    const summary = await body();
    console.log(summary === undefined ? `ok ${name}` : `ok ${name}: ${summary}`);
  } catch (e) {
    failures++;
    console.log(`FAIL ${name} (details in ${log})`);
    appendFileSync(log, `  ${e && e.stack ? e.stack : e}\n`);
  }
}

export function expect(what, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) throw new Error(`${what}: got ${g}, want ${w}`);
}

let serial = 0;
// Register the schema with @ruleSet (and @metadata) under a new subject
// (of the topic @prefix-N); its topic.
export async function register(ruleSet, metadata, prefix = 'rules') {
  const topic = `${prefix}-${++serial}`;
  const info = { schemaType: 'AVRO', schema: JSON.stringify(schema), ruleSet };
  if (metadata) info.metadata = metadata;
  await client.register(`${topic}-value`, info, false);
  return topic;
}

export function rule(name, kind, mode, ruleType, expr, extra = {}) {
  return { name, kind, mode, type: ruleType, expr, onFailure: 'ERROR', ...extra };
}

// What a client did with one message: {verdict: 'ok', hex | value} or
// {verdict: 'refused', rule}; anything else is {verdict: 'error', why}.
export function jsRefusal(e) {
  const m = /^rule (\S+) failed/.exec(e.message);
  return m ? { verdict: 'refused', rule: m[1] } : { verdict: 'error', why: e.message };
}

// @config: more of the serializer's settings (ruleConfig ...).
export async function jsWrite(topic, messages, config = {}) {
  const ser = new AvroSerializer(client, SerdeType.VALUE,
    { autoRegisterSchemas: false, useLatestVersion: true, ...config });
  const out = [];
  for (const m of messages) {
    try {
      out.push({ verdict: 'ok', hex: (await ser.serialize(topic, structuredClone(m))).toString('hex') });
    } catch (e) {
      out.push(jsRefusal(e));
    }
  }
  return out;
}

export async function jsRead(topic, frames, config = {}) {
  const des = new AvroDeserializer(client, SerdeType.VALUE, config);
  const out = [];
  for (const hex of frames) {
    try {
      out.push({ verdict: 'ok', value: await des.deserialize(topic, Buffer.from(hex, 'hex')) });
    } catch (e) {
      out.push(jsRefusal(e));
    }
  }
  return out;
}

// Run kavro COMMAND over one input line per item: its exit status, and
// per line {verdict: 'ok', line} (the lines it printed, in order, go to
// the items it did not refuse) or {verdict: 'refused', rule, action}
// from its standard error's "line N: ... rule "NAME" ... action ACTION".
// @env: more of its environment (a variable set to undefined is left
// out).
export function kavroRun(args, items, env = {}) {
  const environment = { ...process.env, ...env };
  for (const [k, v] of Object.entries(environment)) if (v === undefined) delete environment[k];
  const r = spawnSync(kavro, args, { input: items.join('\n') + '\n', encoding: 'utf8',
    env: environment });
  if (r.error) throw r.error;
  note(`kavro ${args[0]}: exit ${r.status}${r.stderr ? `\n    ${r.stderr.trim().split('\n').join('\n    ')}` : ''}`);
  const results = items.map(() => null);
  for (const line of r.stderr.split('\n')) {
    const m = /^kavro \w+: line (\d+): .*rule "([^"]+)".*action (\w+)/.exec(line);
    if (m) results[Number(m[1]) - 1] = { verdict: 'refused', rule: m[2], action: m[3] };
  }
  const printed = r.stdout.split('\n').filter((l) => l !== '');
  for (let i = 0; i < results.length; i++)
    if (!results[i]) results[i] = printed.length ? { verdict: 'ok', line: printed.shift() } : { verdict: 'error' };
  if (printed.length) throw new Error(`kavro printed ${printed.length} lines more than it accepted`);
  return { status: r.status, stderr: r.stderr, results };
}

// `kavro encode` (or decode) of @topic, with more @args (-X ...) and
// @env.
export function kavroWrite(topic, messages, args = [], env = {}) {
  const k = kavroRun(['encode', '--registry', url, '--subject', `${topic}-value`,
    '--schema', schemaFile, '--hex', '-X', 'auto.register.schemas=false',
    '-X', 'use.latest.version=true', ...args], messages.map((m) => type.toString(m)), env);
  k.results = k.results.map((x) => (x.verdict === 'ok' ? { verdict: 'ok', hex: x.line } : x));
  return k;
}

export function kavroRead(topic, frames, args = [], env = {}) {
  const k = kavroRun(['decode', '--registry', url, '--hex', '--topic', topic, ...args], frames, env);
  k.results = k.results.map((x) => (x.verdict === 'ok' ? { verdict: 'ok', value: type.fromString(x.line) } : x));
  return k;
}

// A verdict in the log: frames by their size, values by their customer.
export function brief(x) {
  if (x.verdict !== 'ok') return show(x);
  if (x.hex !== undefined) return `ok, ${x.hex.length / 2}-byte frame`;
  return `ok, customer ${JSON.stringify(x.value.customer)}`;
}

export function show(x) {
  if (x.verdict === 'refused') return `refused by ${x.rule}${x.action ? ` (action ${x.action})` : ''}`;
  if (x.verdict === 'error') return `error${x.why ? `: ${x.why}` : ''}`;
  return x.hex !== undefined ? `ok ${x.hex}` : `ok ${type.toString(x.value)}`;
}

export function sameValue(a, b) {
  return type.toBuffer(a).equals(type.toBuffer(b));
}

// The exit status kavro owes for @results: 1 when it refused one.
export function expectStatus(k) {
  expect('kavro exit status', k.status, k.results.some((x) => x.verdict === 'refused') ? 1 : 0);
}

