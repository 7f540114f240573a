// Data contract rules: kavro against Confluent's JavaScript client
// (@confluentinc/schemaregistry, which executes CEL and CEL_FIELD rules),
// run by tests/js_rules_interop.sh over `kavro mock-registry`.
//
// Usage: node rules.mjs REGISTRY-URL KAVRO WORKDIR
//
// Each case registers the catalog's ServiceOrderCreated (its CustomerInfo,
// DeliveryAddress and Amount inlined) with a rule set under a subject of
// its own, then runs the same messages through both clients:
//   write cases: the JS serializer against `kavro encode` (use.latest.version);
//     every message gets the verdict the case expects from both, a refusal
//     names the same rule, and the frames of the accepted messages are
//     byte-identical (so CEL_FIELD transforms rewrote the same fields the
//     same way);
//   read cases: frames written by the JS serializer (READ rules do not run
//     on write) through the JS deserializer and `kavro decode`: the same
//     verdicts and the same decoded values.
//
// Departures: where the JS client departs from the CEL specification and
// from Confluent's Java executor, kavro follows the specification and
// Java; each case below shows both clients' behaviour:
//   1. READ conditions on Avro records never fire in JS: its CEL library
//      rejects the decoded (avsc) record and an evaluation error counts as
//      a pass.  kavro refuses the message.
//   2. Avro int and long become CEL doubles in JS: `type(x) == int` is
//      false, `x / 60.0` evaluates.  kavro keeps them int (`type(x) == int`
//      holds, int / double has no overload: an error, the rule fails).
//   3. A JS CEL_FIELD condition fails on any falsy field: a field its tags
//      do not select yields the field's own value, and 0, "", false or null
//      count as a failed condition.  kavro (as Java) fails only on false.
//   4. `substring` (strings extension) counts UTF-16 units in JS, code
//      points in CEL: on a name starting with a character outside the
//      BMP, JS takes half a surrogate pair and refuses; kavro takes the
//      character, as cel-go and Java do, and accepts.
//   5. Two CEL_FIELD transforms with equal tags both run in JS (it compares
//      the tag lists by identity).  kavro runs only the first on write, as
//      Java's FieldRuleExecutor does.
//   6. A guard that fails to evaluate lets JS run the expression after it;
//      Java (CelExecutor.evaluateWithGuard) and kavro treat it as false and
//      skip the expression.
//   7. A CEL transform of the whole message yields a CEL value the JS
//      Avro serializer cannot encode, whatever the expression (`message`
//      itself too): every message fails to serialize.  Java
//      (CelExecutor with AvroResultWriter) and kavro convert the result
//      through the schema and write it.
//
// Each case prints one line, "ok CASE: SUMMARY" or "FAIL CASE (details in
// LOG)"; each message's verdicts go to WORKDIR/js_rules.log.  Exit status
// 0 when every case passed, 1 otherwise.
import { CelExecutor, CelFieldExecutor } from '@confluentinc/schemaregistry';
import {
  brief, check, exitStatus, expect, expectStatus, jsRead, jsWrite, kavroRead,
  kavroWrite, message, note, openLog, register, rule, sameValue, show, type,
} from './contract_lib.mjs';

openLog('js_rules');
CelExecutor.register();
CelFieldExecutor.register();

// Both clients must give each message the verdict @want names ('ok' or
// the refusing rule's name), and agree on what they wrote or read.
function expectAgree(js, k, want, same) {
  want.forEach((w, i) => {
    note(`#${i + 1} want ${w === 'ok' ? 'ok' : `refused by ${w}`}; JS ${brief(js[i])}; kavro ${brief(k.results[i])}`);
  });
  want.forEach((w, i) => {
    const wanted = w === 'ok' ? 'ok' : `refused by ${w}`;
    for (const [who, x] of [['JS', js[i]], ['kavro', k.results[i]]]) {
      const got = x.verdict === 'refused' ? `refused by ${x.rule}` : x.verdict;
      if (got !== wanted) throw new Error(`message ${i + 1}: ${who} ${show(x)}, want ${wanted}`);
    }
    if (w !== 'ok') expect(`message ${i + 1}: kavro's action`, k.results[i].action, 'ERROR');
    else if (!same(js[i], k.results[i]))
      throw new Error(`message ${i + 1}: JS ${show(js[i])}, kavro ${show(k.results[i])}`);
  });
  expectStatus(k);
}

function plural(n, noun) {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function refusedCount(want) {
  return want.filter((w) => w !== 'ok').length;
}

// A write case: @cases is [[message, want], ...].
async function writeCase(ruleSet, cases, metadata) {
  const topic = await register(ruleSet, metadata);
  const messages = cases.map(([m]) => m), want = cases.map(([, w]) => w);
  const js = await jsWrite(topic, messages);
  const k = kavroWrite(topic, messages);
  expectAgree(js, k, want, (a, b) => a.hex === b.hex);
  return { js, k, summary: `${plural(cases.length, 'message')}, both refuse ${refusedCount(want)}, frames identical` };
}

// A read case: the frames the JS serializer writes for the messages (the
// rule set has no WRITE rule), read by both.
async function readCase(ruleSet, cases, metadata) {
  const topic = await register(ruleSet, metadata);
  const written = await jsWrite(topic, cases.map(([m]) => m));
  written.forEach((x, i) => { if (x.verdict !== 'ok') throw new Error(`writing message ${i + 1}: ${show(x)}`); });
  const frames = written.map((x) => x.hex), want = cases.map(([, w]) => w);
  const js = await jsRead(topic, frames);
  const k = kavroRead(topic, frames);
  expectAgree(js, k, want, (a, b) => sameValue(a.value, b.value));
  return { js, k, summary: `${plural(cases.length, 'frame')}, both refuse ${refusedCount(want)}, values identical` };
}

// The body of a frame, decoded.
function frameValue(hex) {
  return type.fromBuffer(Buffer.from(hex, 'hex').subarray(5));
}

const EMAIL = "^[^@ ]+@[^@ ]+[.][a-z]{2,}$";
const MASK = "value.contains('@') ? 'masked@example.invalid' : '+00000000000'";
const piiMask = (mode) => rule('mask-pii', 'TRANSFORM', mode, 'CEL_FIELD', MASK, { tags: ['PII'] });
const phoneTag = { tags: { 'com.ahs.fsm.common.CustomerInfo.phone': ['PII'] } };

// The masked messages carry the masks on email and phone, nothing else changed.
function expectMasked(value, original) {
  expect('masked customer', value.customer, { ...original.customer,
    email: 'masked@example.invalid', phone: '+00000000000' });
  expect('the other fields', { ...value, customer: null }, { ...original, customer: null });
}

// ---- the catalog's rules: both clients agree ---------------------------

await check("country_code matches '^[A-Z]{2}$' (CEL condition)", async () => (await writeCase(
  { domainRules: [rule('country-code', 'CONDITION', 'WRITE', 'CEL',
    "message.country_code.matches('^[A-Z]{2}$')")] },
  [[message(), 'ok'], [message({ country_code: 'PL' }), 'ok'],
    [message({ country_code: 'fr' }), 'country-code'], [message({ country_code: 'FRA' }), 'country-code'],
    [message({ country_code: 'F' }), 'country-code']])).summary);

await check('non-negative amount and an ISO currency, in order (CEL conditions)', async () => (await writeCase(
  { domainRules: [
    rule('amount-non-negative', 'CONDITION', 'WRITE', 'CEL', 'message.amount.value >= 0'),
    rule('currency-iso', 'CONDITION', 'WRITE', 'CEL', "message.amount.currency.matches('^[A-Z]{3}$')")] },
  [[message(), 'ok'], [message({ 'amount.value': 0.01 }), 'ok'],
    [message({ 'amount.value': -0.01 }), 'amount-non-negative'],
    [message({ 'amount.value': -1e9, 'amount.currency': 'eur' }), 'amount-non-negative'],
    [message({ 'amount.currency': 'eur' }), 'currency-iso']])).summary);

await check('e-mail matches a pattern (CEL_FIELD condition, guard on name)', async () => (await writeCase(
  { domainRules: [rule('email-pattern', 'CONDITION', 'WRITE', 'CEL_FIELD',
    `name == 'email' ; value.matches('${EMAIL}')`)] },
  [[message(), 'ok'], [message({ 'customer.email': 'a.b+c@sub.example.com' }), 'ok'],
    [message({ 'customer.email': 'zoe.martin@example' }), 'email-pattern'],
    [message({ 'customer.email': 'zoe martin@example.fr' }), 'email-pattern'],
    [message({ 'customer.email': 'zoe.martin' }), 'email-pattern']])).summary);

await check('e-mail pattern as a CEL condition over the message', async () => (await writeCase(
  { domainRules: [rule('email-pattern', 'CONDITION', 'WRITE', 'CEL',
    `message.customer.email.matches('${EMAIL}')`)] },
  [[message(), 'ok'], [message({ 'customer.email': '@example.fr' }), 'email-pattern']])).summary);

for (const [label, metadata] of [
  ['metadata.tags path', phoneTag],
  ['metadata.tags wildcard', { tags: { '**.phone': ['PII'] } }],
]) {
  await check(`PII mask on customer.email (confluent:tags) and phone (${label}) (CEL_FIELD transform)`, async () => {
    const messages = [message(),
      message({ 'customer.email': 'x@y.pl', 'customer.phone': '+48123456789', country_code: 'PL' }),
      message({ 'customer.name': 'Ana', 'customer.email': 'ana@example.es', 'customer.phone': '0034 600 000 000' })];
    const { js, summary } = await writeCase({ domainRules: [piiMask('WRITE')] },
      messages.map((m) => [m, 'ok']), metadata);
    js.forEach((x, i) => expectMasked(frameValue(x.hex), messages[i]));
    return `${summary}, email and phone masked`;
  });
}

await check('strings extension: a masking transform and conditions, both clients alike', async () => {
  const messages = [message(), message({ 'customer.email': 'x@y.pl', country_code: 'PL' }),
    message({ 'customer.name': '  Ana  ', 'customer.email': 'ana@example.es' })];
  const { js, summary } = await writeCase({ domainRules: [
    rule('email-domain', 'CONDITION', 'WRITE', 'CEL',
      "message.customer.email.lastIndexOf('@') > 0 && message.customer.email.split('@').size() == 2"),
    rule('country-upper', 'CONDITION', 'WRITE', 'CEL',
      'message.country_code.upperAscii() == message.country_code'),
    rule('mask-email', 'TRANSFORM', 'WRITE', 'CEL_FIELD',
      "name == 'email' ; '%s***%s'.format([value.substring(0, 1), value.substring(value.indexOf('@'))])"),
    rule('tidy-name', 'TRANSFORM', 'WRITE', 'CEL_FIELD',
      "fullName == 'com.ahs.fsm.common.CustomerInfo.name' ; value.trim().replace(' ', '_')")] },
  [...messages.map((m) => [m, 'ok']), [message({ 'customer.email': 'nobody' }), 'email-domain'],
    [message({ country_code: 'fr' }), 'country-upper']]);
  expect('masked e-mails', js.slice(0, 3).map((x) => frameValue(x.hex).customer.email),
    ['z***@example.fr', 'x***@y.pl', 'a***@example.es']);
  expect('tidied name', frameValue(js[2].hex).customer.name, 'Ana');
  return `${summary}, e-mails masked, names trimmed`;
});

await check('guarded conditions (guard ; expr)', async () => (await writeCase(
  { domainRules: [
    rule('fr-postal-code', 'CONDITION', 'WRITE', 'CEL',
      "message.country_code == 'FR' ; message.address.postal_code.matches('^[0-9]{5}$')"),
    rule('long-orders-confirmed', 'CONDITION', 'WRITE', 'CEL',
      'message.estimated_duration_min > 240 ; message.requires_confirmation_tv')] },
  [[message(), 'ok'], [message({ 'address.postal_code': '7500' }), 'fr-postal-code'],
    [message({ country_code: 'GB', 'address.postal_code': 'SW1A 1AA', 'address.country': 'GB' }), 'ok'],
    [message({ estimated_duration_min: 480 }), 'ok'],
    [message({ estimated_duration_min: 480, requires_confirmation_tv: false }), 'long-orders-confirmed']])).summary);

await check('transform then condition in order, NONE, disabled, WRITEREAD', async () => (await writeCase(
  { domainRules: [
    piiMask('WRITEREAD'),
    rule('sees-the-mask', 'CONDITION', 'WRITE', 'CEL',
      "message.customer.email == 'masked@example.invalid'"),
    rule('only-logged', 'CONDITION', 'WRITE', 'CEL', "message.country_code == 'XX'", { onFailure: 'NONE' }),
    rule('switched-off', 'CONDITION', 'WRITE', 'CEL', 'false', { disabled: true }),
    rule('bu-order-id', 'CONDITION', 'WRITEREAD', 'CEL_FIELD',
      "name == 'service_order_id' ; value.startsWith('SO-')", { onFailure: 'ERROR,NONE' })] },
  [[message(), 'ok'], [message({ service_order_id: 'X-1' }), 'bu-order-id']], phoneTag)).summary);

await check('CEL_FIELD bindings: fullName, typeName, tags, message; unions; size in code points', async () => {
  const messages = [message(), message({ 'customer.name': 'Zoé Martinez' }),
    message({ 'address.postal_code': '750' }),
    message({ country_code: 'GB', 'address.postal_code': 'SW1A 1AA', 'address.country': 'GB' })];
  const { js, summary } = await writeCase({ domainRules: [
    rule('checked-name', 'TRANSFORM', 'WRITE', 'CEL_FIELD',
      "fullName == 'com.ahs.fsm.common.CustomerInfo.name' ; value + ' (checked)'"),
    rule('flip-booleans', 'TRANSFORM', 'WRITE', 'CEL_FIELD', "typeName == 'BOOLEAN' ; !value"),
    rule('union-branch', 'TRANSFORM', 'WRITE', 'CEL_FIELD',
      "name == 'depends_on_order_id' && typeName == 'STRING' ; 'after:' + value"),
    rule('pii-by-tags-variable', 'TRANSFORM', 'WRITE', 'CEL_FIELD', "'PII' in tags ; 'x'"),
    rule('fr-postal-code', 'CONDITION', 'WRITE', 'CEL_FIELD',
      "name == 'postal_code' ; message.country != 'FR' || value.matches('^[0-9]{5}$')"),
    // 'Zoé Martin (checked)' is 20 code points and 21 bytes.
    rule('name-length', 'CONDITION', 'WRITE', 'CEL', 'size(message.customer.name) <= 20')] },
  [[messages[0], 'ok'], [messages[1], 'name-length'], [messages[2], 'fr-postal-code'],
    [messages[3], 'ok']], phoneTag);
  const got = frameValue(js[0].hex);
  expect('transformed', [got.customer.name, got.requires_confirmation_tv, got.depends_on_order_id,
    got.customer.email, got.customer.phone], ['Zoé Martin (checked)', false, 'after:SO-0', 'x', 'x']);
  return summary;
});

await check('e-mail pattern on read (CEL_FIELD READ condition)', async () => (await readCase(
  { domainRules: [rule('email-pattern', 'CONDITION', 'READ', 'CEL_FIELD',
    `name == 'email' ; value.matches('${EMAIL}')`)] },
  [[message(), 'ok'], [message({ 'customer.email': 'nobody' }), 'email-pattern'],
    [message({ 'customer.email': 'a@b.example.org' }), 'ok']])).summary);

await check('PII mask on read (CEL_FIELD READ transform)', async () => {
  const messages = [message(), message({ 'customer.phone': '+48123456789' })];
  const { js, summary } = await readCase({ domainRules: [piiMask('READ')] },
    messages.map((m) => [m, 'ok']), phoneTag);
  js.forEach((x, i) => expectMasked(x.value, messages[i]));
  return `${summary}, email and phone masked`;
});

await check('READ rules run in reverse order (CEL_FIELD READ transforms)', async () => {
  const { js, summary } = await readCase({ domainRules: [
    rule('first', 'TRANSFORM', 'READ', 'CEL_FIELD', "name == 'email' ; value + '-first'"),
    rule('second', 'TRANSFORM', 'READ', 'CEL_FIELD', "name == 'email' ; value + '-second'")] },
  [[message(), 'ok']]);
  expect('e-mail read', js[0].value.customer.email, 'zoe.martin@example.fr-second-first');
  return summary;
});

// ---- departures: the JS client's behaviour and kavro's -----------------

await check('departure 1: READ CEL condition on an Avro record (JS never fires, kavro refuses)', async () => {
  const topic = await register({ domainRules: [rule('amount-non-negative', 'CONDITION', 'READ', 'CEL',
    'message.amount.value >= 0.0')] });
  const written = await jsWrite(topic, [message(), message({ 'amount.value': -5 })]);
  const frames = written.map((x) => x.hex);
  const js = await jsRead(topic, frames);
  const k = kavroRead(topic, frames);
  js.forEach((x, i) => note(`#${i + 1} JS ${brief(x)}; kavro ${brief(k.results[i])}`));
  expect('JS verdicts (the rule never fires)', js.map((x) => x.verdict), ['ok', 'ok']);
  expect('kavro verdicts', k.results.map(show)[1], 'refused by amount-non-negative (action ERROR)');
  expect('kavro reads the valid frame', sameValue(k.results[0].value, message()), true);
  expectStatus(k);
  return 'JS accepts the negative amount, kavro refuses it';
});

await check('departure 2: Avro int is a CEL double in JS, an int in kavro', async () => {
  // [expression, duration, JS verdict, kavro verdict]
  const table = [
    ['type(message.estimated_duration_min) == int', 90, 'refused', 'ok'],
    // 91 / 2 is 45 in CEL; in JS double / int has no overload: an
    // evaluation error, which JS counts as a pass.
    ['message.estimated_duration_min / 2 != 45', 91, 'ok', 'refused'],
    // int / double has no overload in CEL: an error, the rule fails.
    ['message.estimated_duration_min / 60.0 == 1.5', 90, 'ok', 'refused'],
  ];
  for (const [expr, minutes, jsWant, kavroWant] of table) {
    const topic = await register({ domainRules: [rule('duration', 'CONDITION', 'WRITE', 'CEL', expr)] });
    const m = message({ estimated_duration_min: minutes });
    const js = await jsWrite(topic, [m]);
    const k = kavroWrite(topic, [m]);
    note(`${expr} (${minutes}): JS ${brief(js[0])}; kavro ${brief(k.results[0])}`);
    expect(`JS on ${expr}`, js[0].verdict, jsWant);
    expect(`kavro on ${expr}`, k.results[0].verdict, kavroWant);
    expectStatus(k);
  }
  return 'type(int field) == int, 91 / 2 == 45, int / 60.0: JS and kavro disagree as CEL says';
});

await check('departure 3: JS CEL_FIELD condition fails on falsy fields, kavro only on false', async () => {
  const topic = await register({ domainRules: [rule('pii-shape', 'CONDITION', 'WRITE', 'CEL_FIELD',
    "value.contains('@') || value.startsWith('+')", { tags: ['PII'] })] }, phoneTag);
  const messages = [message(), message({ 'customer.email': 'nobody' }),
    message({ estimated_duration_min: 0 }), message({ 'address.street': '' }),
    message({ requires_confirmation_tv: false }), message({ depends_on_order_id: null })];
  const js = await jsWrite(topic, messages);
  const k = kavroWrite(topic, messages);
  js.forEach((x, i) => note(`#${i + 1} JS ${brief(x)}; kavro ${brief(k.results[i])}`));
  expect('JS verdicts', js.map((x) => x.verdict), ['ok', 'refused', 'refused', 'refused', 'refused', 'refused']);
  expect('kavro verdicts', k.results.map((x) => x.verdict), ['ok', 'refused', 'ok', 'ok', 'ok', 'ok']);
  for (const i of [2, 3, 4, 5])
    expect(`message ${i + 1}: kavro wrote it`, sameValue(frameValue(k.results[i].hex), messages[i]), true);
  expectStatus(k);
  return 'untagged 0, "", false, null: JS refuses, kavro accepts; a bad e-mail: both refuse';
});

await check('departure 4: substring counts UTF-16 units in JS, code points in kavro', async () => {
  const topic = await register({ domainRules: [rule('initial', 'CONDITION', 'WRITE', 'CEL',
    "message.customer.name.substring(0, 1) == '𠮷'")] });
  const m = message({ 'customer.name': '𠮷野 Tarō' });
  const js = await jsWrite(topic, [m]);
  const k = kavroWrite(topic, [m]);
  note(`JS ${brief(js[0])}; kavro ${brief(k.results[0])}`);
  expect('JS (first UTF-16 unit, a lone surrogate)', show(js[0]), 'refused by initial');
  expect('kavro verdict', k.results[0].verdict, 'ok');
  expect('kavro wrote it', sameValue(frameValue(k.results[0].hex), m), true);
  expectStatus(k);
  return 'JS refuses a name the spec accepts, kavro accepts it';
});

await check('departure 5: two CEL_FIELD transforms with equal tags (JS runs both, kavro the first)', async () => {
  const topic = await register({ domainRules: [
    rule('mask', 'TRANSFORM', 'WRITE', 'CEL_FIELD', "'***'", { tags: ['PII'] }),
    rule('mark', 'TRANSFORM', 'WRITE', 'CEL_FIELD', "value + '!'", { tags: ['PII'] })] });
  const js = await jsWrite(topic, [message()]);
  const k = kavroWrite(topic, [message()]);
  const email = (x) => (x.hex ? frameValue(x.hex).customer.email : show(x));
  note(`JS writes e-mail ${email(js[0])}; kavro ${email(k.results[0])}`);
  expect('JS e-mail', frameValue(js[0].hex).customer.email, '***!');
  expect('kavro e-mail', frameValue(k.results[0].hex).customer.email, '***');
  expectStatus(k);
  return "JS writes '***!', kavro '***'";
});

await check('departure 6: a guard that fails to evaluate (JS runs the expression, kavro skips it)', async () => {
  const topic = await register({ domainRules: [rule('guarded', 'CONDITION', 'WRITE', 'CEL',
    "message.customer.no_such_field == 'x' ; false")] });
  const js = await jsWrite(topic, [message()]);
  const k = kavroWrite(topic, [message()]);
  note(`JS ${brief(js[0])}; kavro ${brief(k.results[0])}`);
  expect('JS', show(js[0]), 'refused by guarded');
  expect('kavro', k.results[0].verdict, 'ok');
  expectStatus(k);
  return 'JS refuses, kavro (as Java) accepts';
});

await check('departure 7: a CEL transform of the whole message (JS cannot write its result, kavro writes it as Java does)', async () => {
  // The result of the transform becomes the message, converted through
  // the schema: `message` itself; a map with the country code in lower
  // case, the city in capitals, depends_on_order_id left out (its default,
  // null, fills it); a map missing fields without defaults fails the rule.
  const rework = "{'event_id': message.event_id, 'event_timestamp': message.event_timestamp, " +
    "'service_order_id': message.service_order_id, 'country_code': message.country_code.lowerAscii(), " +
    "'estimated_duration_min': message.estimated_duration_min, " +
    "'requires_confirmation_tv': message.requires_confirmation_tv, 'customer': message.customer, " +
    "'address': {'street': message.address.street, 'city': message.address.city.upperAscii(), " +
    "'postal_code': message.address.postal_code, 'country': message.address.country}, " +
    "'amount': message.amount, 'unused': true}";
  const table = [
    ['same', 'message', 'ok', message()],
    ['rework', rework, 'ok', message({ country_code: 'fr', 'address.city': 'PARIS', depends_on_order_id: null })],
    ['partial', "{'event_id': message.event_id}", 'refused', null],
  ];
  for (const [name, expr, kavroWant, written] of table) {
    const topic = await register({ domainRules: [rule(name, 'TRANSFORM', 'WRITE', 'CEL', expr)] });
    const js = await jsWrite(topic, [message()]);
    const k = kavroWrite(topic, [message()]);
    note(`${name}: JS ${brief(js[0])}; kavro ${brief(k.results[0])}`);
    expect(`JS on ${name}`, js[0].verdict, 'error');
    expect(`kavro on ${name}`, k.results[0].verdict, kavroWant);
    if (written) expect(`kavro wrote ${name}`, sameValue(frameValue(k.results[0].hex), written), true);
    else expect(`kavro refused ${name}`, show(k.results[0]), `refused by ${name} (action ERROR)`);
    expectStatus(k);
  }
  return 'JS fails to encode every result (even `message`), kavro writes the records and refuses the one missing fields';
});

process.exit(exitStatus());
