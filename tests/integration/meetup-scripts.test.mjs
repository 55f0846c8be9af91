// Meetup scripts: the JSON Schema (schema/meetup-script.schema.json) and
// the server's own validation (`ruche script check`, server/meetup_script.c)
// must agree.  Every template shipped in schema/templates passes both; every
// bad script below fails both, and the server names the field at fault.
// The two rules that compare fields (the 4-hour total, a round holding two
// turns) are beyond JSON Schema: the schema's $comment says so, and the test
// pins that the schema lets them through and the server does not.
//
// Every run is checked for an empty stderr: under AddressSanitizer a leak
// or a memory error would print there.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';

import { repoRoot, runRuche, tempDir } from '../lib/server.mjs';

const schemaPath = path.join(repoRoot, 'schema', 'meetup-script.schema.json');
const templatesDir = path.join(repoRoot, 'schema', 'templates');
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
// As tests/lib/client.mjs sets ajv up for the protocol: strict, all errors.
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
const validate = ajv.compile(schema);

const schemaErrors = () => ajv.errorsText(validate.errors, { separator: '; ' });

// `ruche script check [--print] -` with the script on standard input.
async function check(script, { print = false } = {}) {
  const input = typeof script === 'string' ? script : JSON.stringify(script);
  const r = await runRuche(['script', 'check', ...(print ? ['--print'] : []), '-'], { input });
  assert.equal(r.signal, null);
  assert.equal(r.stderr, '', 'nothing on stderr');
  return r;
}

// Refused by the server: exit 1, one "PATH: message" a line, and the
// expected line among them.
async function assertRefused(script, line) {
  const r = await check(script);
  assert.equal(r.code, 1, `refused (stdout: ${r.stdout})`);
  const lines = r.stdout.trimEnd().split('\n');
  for (const l of lines) assert.match(l, /^[^\s:]+: \S/, 'PATH: message');
  assert.ok(lines.includes(line), `"${line}" among:\n${r.stdout}`);
  return lines;
}

const announce = (over = {}) => ({ kind: 'announce', title: 'Welcome', text: 'Hello all', duration_s: 60, ...over });
const open = (over = {}) => ({ kind: 'open', title: 'Talk', text: 'Free talk', duration_s: 300, ...over });
const round = (over = {}) => ({ kind: 'round', title: 'Round', text: 'In turn', duration_s: 600, turn_s: 60, ...over });
const breakout = (over = {}) => ({
  kind: 'breakout', title: 'Pairs', text: 'Find your pair', duration_s: 120, group_size: 2, prompt: 'Say hello', ...over,
});
const poll = (over = {}) => ({
  kind: 'poll', title: 'Poll', text: 'Vote', duration_s: 60, question: 'Which?', options: ['Yes', 'No'], ...over,
});
const feedback = (over = {}) => ({
  kind: 'feedback', title: 'Feedback', text: 'Rate us', duration_s: 60, question: 'How likely?', ...over,
});
const script = (steps, over = {}) => ({ title: 'A meetup', steps, ...over });
const without = (obj, key) => {
  const copy = { ...obj };
  delete copy[key];
  return copy;
};

// Scripts both sides accept.
const GOOD = {
  'one step of each kind': script([announce(), open(), round(), breakout(), poll(), feedback()]),
  'every optional field': script(
    [
      round({ order: 'join', speaker_only: true }),
      breakout({ group_size: 8, avoid_recent: false }),
      poll({ multiple: true, show_results: 'live', options: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'] }),
      feedback({ comment_prompt: 'Why?' }),
    ],
    { description: 'Two\n\tlines' },
  ),
  'a blank description': script([open()], { description: ' \n ' }),
  'limits reached exactly': script(
    [
      open({ title: 'é'.repeat(80), text: 't'.repeat(1000), duration_s: 3600 }),
      open({ duration_s: 3600 }),
      open({ duration_s: 3600 }),
      round({ duration_s: 3600, turn_s: 600 }),
    ],
    { title: 'T'.repeat(100), description: 'd'.repeat(1000) },
  ),
  '50 steps': script(Array.from({ length: 50 }, () => announce({ duration_s: 10 }))),
  'a round holding exactly two turns': script([round({ duration_s: 120, turn_s: 60 })]),
  'a breakout of one minute': script([breakout({ duration_s: 60 })]),
  'options differing only in case or space': script([poll({ options: ['Yes', 'yes', 'Yes '] })]),
  'feedback that does not close the script': script([feedback(), open()]),
  'a duration written 60.0': '{"title":"T","steps":[{"kind":"open","title":"O","text":"x","duration_s":60.0}]}',
};

// Scripts both sides refuse, with the line the server must print.
const BAD = [
  ['an array', [], 'script: must be a JSON object'],
  ['no title', { steps: [open()] }, 'title: required'],
  ['no steps', { title: 'T' }, 'steps: required'],
  ['an unknown top field', script([open()], { colour: 'red' }), 'colour: unknown field'],
  ['an empty title', script([open()], { title: '' }), 'title: must not be empty'],
  ['a blank title', script([open()], { title: ' \u00a0\u3000' }), 'title: must not be only white space'],
  ['a title of two lines', script([open()], { title: 'a\nb' }), 'title: must be one line, without control characters'],
  ['a title too long', script([open()], { title: 'é'.repeat(101) }), 'title: at most 100 characters (this has 101)'],
  ['a number for title', script([open()], { title: 42 }), 'title: must be a string'],
  [
    'a description with a control character',
    script([open()], { description: 'a\u0001' }),
    'description: control characters other than line breaks and tabs are not allowed',
  ],
  ['a description too long', script([open()], { description: 'd'.repeat(1001) }), 'description: at most 1000 characters (this has 1001)'],
  ['steps not a list', { title: 'T', steps: {} }, 'steps: must be an array'],
  ['no step', script([]), 'steps: at least 1 step'],
  ['51 steps', script(Array.from({ length: 51 }, () => announce({ duration_s: 10 }))), 'steps: at most 50 steps (this has 51)'],
  ['a step that is no object', script([open(), 7]), 'steps[1]: must be an object'],
  ['a step without kind', script([without(open(), 'kind')]), 'steps[0].kind: required'],
  [
    'an unknown kind',
    script([open({ kind: 'debate' })]),
    'steps[0].kind: unknown kind "debate" (one of announce, open, round, breakout, poll or feedback)',
  ],
  ['a step without title', script([without(open(), 'title')]), 'steps[0].title: required'],
  ['a step without text', script([without(open(), 'text')]), 'steps[0].text: required'],
  ['a blank text', script([open({ text: '\n\t ' })]), 'steps[0].text: must not be only white space'],
  ['a text too long', script([open({ text: 'x'.repeat(1001) })]), 'steps[0].text: at most 1000 characters (this has 1001)'],
  ['a step title too long', script([open({ title: 'x'.repeat(81) })]), 'steps[0].title: at most 80 characters (this has 81)'],
  ['no duration', script([without(open(), 'duration_s')]), 'steps[0].duration_s: required'],
  ['a duration too short', script([open({ duration_s: 9 })]), 'steps[0].duration_s: at least 10 seconds'],
  ['a duration too long', script([open({ duration_s: 3601 })]), 'steps[0].duration_s: at most 3600 seconds'],
  ['a fractional duration', script([open({ duration_s: 90.5 })]), 'steps[0].duration_s: must be an integer'],
  ['a duration as text', script([open({ duration_s: '60' })]), 'steps[0].duration_s: must be an integer'],
  ['a breakout under a minute', script([breakout({ duration_s: 59 })]), 'steps[0].duration_s: a breakout lasts at least 60 seconds'],
  ['a field of another kind', script([open({ turn_s: 30 })]), 'steps[0].turn_s: not allowed in an open step'],
  ['a poll with a group size', script([poll({ group_size: 2 })]), 'steps[0].group_size: not allowed in a poll step'],
  ['an unknown step field', script([announce({ mood: 'good' })]), 'steps[0].mood: unknown field'],
  ['a round without turns', script([without(round(), 'turn_s')]), 'steps[0].turn_s: required'],
  ['turns too short', script([round({ turn_s: 9 })]), 'steps[0].turn_s: at least 10 seconds'],
  ['turns too long', script([round({ turn_s: 601, duration_s: 3600 })]), 'steps[0].turn_s: at most 600 seconds'],
  [
    'an unknown order',
    script([round({ order: 'height' })]),
    'steps[0].order: unknown order "height" (one of random, alphabetical or join)',
  ],
  ['speaker_only as text', script([round({ speaker_only: 'yes' })]), 'steps[0].speaker_only: must be true or false'],
  ['a breakout without group size', script([without(breakout(), 'group_size')]), 'steps[0].group_size: required'],
  ['groups of one', script([breakout({ group_size: 1 })]), 'steps[0].group_size: at least 2 people'],
  ['groups of nine', script([breakout({ group_size: 9 })]), 'steps[0].group_size: at most 8 people'],
  ['a breakout without prompt', script([without(breakout(), 'prompt')]), 'steps[0].prompt: required'],
  ['an empty prompt', script([breakout({ prompt: '' })]), 'steps[0].prompt: must not be empty'],
  ['avoid_recent as a number', script([breakout({ avoid_recent: 1 })]), 'steps[0].avoid_recent: must be true or false'],
  ['a poll without question', script([without(poll(), 'question')]), 'steps[0].question: required'],
  ['a poll without options', script([without(poll(), 'options')]), 'steps[0].options: required'],
  ['one option', script([poll({ options: ['a'] })]), 'steps[0].options: at least 2 options'],
  [
    'eleven options',
    script([poll({ options: Array.from({ length: 11 }, (_, i) => `o${i}`) })]),
    'steps[0].options: at most 10 options (this has 11)',
  ],
  ['the same option twice', script([poll({ options: ['Yes', 'No', 'Yes'] })]), 'steps[0].options[2]: the same as an earlier option'],
  ['a number for an option', script([poll({ options: ['Yes', 2] })]), 'steps[0].options[1]: must be a string'],
  ['a blank option', script([poll({ options: ['Yes', '  '] })]), 'steps[0].options[1]: must not be only white space'],
  ['an option too long', script([poll({ options: ['Yes', 'o'.repeat(101)] })]), 'steps[0].options[1]: at most 100 characters (this has 101)'],
  ['a question of two lines', script([poll({ question: 'a\nb' })]), 'steps[0].question: must be one line, without control characters'],
  ['a question too long', script([poll({ question: 'q'.repeat(301) })]), 'steps[0].question: at most 300 characters (this has 301)'],
  ['multiple as text', script([poll({ multiple: 'no' })]), 'steps[0].multiple: must be true or false'],
  ['results never shown', script([poll({ show_results: 'never' })]), 'steps[0].show_results: unknown value "never" (one of after or live)'],
  ['feedback without question', script([without(feedback(), 'question')]), 'steps[0].question: required'],
  ['an empty comment prompt', script([feedback({ comment_prompt: '' })]), 'steps[0].comment_prompt: must not be empty'],
  ['two feedback steps', script([feedback(), open(), feedback()]), 'steps[2].kind: a script has at most one feedback step'],
];

// Refused by the server only: rules that compare fields.
const SERVER_ONLY = [
  [
    'more than four hours in all',
    script([open({ duration_s: 3600 }), open({ duration_s: 3600 }), open({ duration_s: 3600 }), open({ duration_s: 3600 }), open({ duration_s: 10 })]),
    'steps: the steps last 240 min 10 s in all; at most 4 hours',
  ],
  [
    'a round that holds one turn',
    script([round({ duration_s: 119, turn_s: 60 })]),
    'steps[0].duration_s: a round holds at least two turns: at least 120 seconds for turns of 60',
  ],
];

describe('the meetup script schema', () => {
  test('says which rules only the server checks', () => {
    assert.match(schema.$comment, /14400 seconds/);
    assert.match(schema.$comment, /2 \* turn_s/);
  });
});

describe('templates shipped with Ruche', () => {
  const files = fs.readdirSync(templatesDir).filter((f) => f.endsWith('.json')).sort();

  test('the six formats are there', () => {
    assert.deepEqual(files, [
      '1-2-4-all.json',
      'icebreaker-round.json',
      'impromptu-networking.json',
      'retrospective.json',
      'troika-consulting.json',
      'weekly-check-in.json',
    ]);
  });

  for (const file of files) {
    test(`${file}: valid for both, written in full, closing with feedback`, async () => {
      const full = path.join(templatesDir, file);
      const tpl = JSON.parse(fs.readFileSync(full, 'utf8'));
      assert.ok(validate(tpl), schemaErrors());

      const r = await runRuche(['script', 'check', full]);
      assert.deepEqual(r, { code: 0, signal: null, stdout: 'ok\n', stderr: '' });

      // A template sets every field, so normalising changes nothing.
      const p = await runRuche(['script', 'check', '--print', full]);
      assert.equal(p.code, 0, p.stderr);
      assert.equal(p.stderr, '');
      assert.deepEqual(JSON.parse(p.stdout), tpl);

      const last = tpl.steps.at(-1);
      assert.equal(last.kind, 'feedback');
      assert.ok(last.comment_prompt);
      assert.ok(tpl.description.length > 100, 'a description for the mentor');
    });
  }
});

describe('scripts both accept', () => {
  for (const [name, s] of Object.entries(GOOD)) {
    test(name, async () => {
      const value = typeof s === 'string' ? JSON.parse(s) : s;
      assert.ok(validate(value), schemaErrors());
      const r = await check(s);
      assert.deepEqual({ code: r.code, stdout: r.stdout }, { code: 0, stdout: 'ok\n' });
    });
  }

  test('--print gives the normalised script, defaults filled in, valid for the schema', async () => {
    const r = await check(
      script([round(), breakout(), poll(), feedback()], {}),
      { print: true },
    );
    assert.equal(r.code, 0);
    const norm = JSON.parse(r.stdout);
    assert.ok(validate(norm), schemaErrors());
    assert.deepEqual(Object.keys(norm), ['title', 'description', 'steps']);
    assert.equal(norm.description, '');
    assert.deepEqual(norm.steps[0], { ...round(), order: 'random', speaker_only: false });
    assert.deepEqual(Object.keys(norm.steps[0]), ['kind', 'title', 'text', 'duration_s', 'turn_s', 'order', 'speaker_only']);
    assert.deepEqual(norm.steps[1], { ...breakout(), avoid_recent: true });
    assert.deepEqual(norm.steps[2], { ...poll(), multiple: false, show_results: 'after' });
    assert.deepEqual(norm.steps[3], feedback());
    // Normalising twice changes nothing.
    const again = await check(norm, { print: true });
    assert.equal(again.stdout, r.stdout);
  });
});

describe('scripts both refuse', () => {
  for (const [name, s, line] of BAD) {
    test(name, async () => {
      assert.equal(validate(s), false, 'the schema refuses it');
      await assertRefused(s, line);
    });
  }

  test('every error at once, each with its path', async () => {
    const s = script(
      [open({ kind: 'debate', duration_s: 5 }), poll({ options: ['a'], turn_s: 30 }), feedback(), feedback({ question: 'a\nb' }), 7],
      { title: '  ', colour: 'red' },
    );
    assert.equal(validate(s), false);
    const lines = await assertRefused(s, 'colour: unknown field');
    assert.deepEqual(lines, [
      'title: must not be only white space',
      'steps[0].kind: unknown kind "debate" (one of announce, open, round, breakout, poll or feedback)',
      'steps[0].duration_s: at least 10 seconds',
      'steps[1].options: at least 2 options',
      'steps[1].turn_s: not allowed in a poll step',
      'steps[3].question: must be one line, without control characters',
      'steps[3].kind: a script has at most one feedback step',
      'steps[4]: must be an object',
      'colour: unknown field',
    ]);
  });

  test('text that is not JSON, or has a key twice', async () => {
    for (const text of ['', '{"title":', '{"title":"a","title":"b","steps":[]}']) {
      const r = await check(text);
      assert.equal(r.code, 1);
      assert.match(r.stdout, /^script: not JSON: [^\n]+\n$/);
    }
  });
});

describe('rules only the server checks', () => {
  for (const [name, s, line] of SERVER_ONLY) {
    test(name, async () => {
      assert.ok(validate(s), `the schema cannot see it: ${schemaErrors()}`);
      await assertRefused(s, line);
    });
  }
});

describe('ruche script', () => {
  test('--help explains check, exit 0', async () => {
    for (const args of [['script', '--help'], ['script', 'check', '--help']]) {
      const r = await runRuche(args);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: ruche script check \[--print\] FILE/);
      assert.equal(r.stderr, '');
    }
  });

  test('bad usage is one line on stderr, exit 2', async () => {
    for (const args of [['script'], ['script', 'lint', 'x.json'], ['script', 'check'], ['script', 'check', 'a', 'b']]) {
      const r = await runRuche(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^ruche script: [^\n]+\n$/);
    }
  });

  test('a file that cannot be read: exit 1', async () => {
    const missing = path.join(tempDir('ruche-script-'), 'none.json');
    const r = await runRuche(['script', 'check', missing]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /cannot read/);
  });

  test('a file over 1 MiB is refused without parsing it', async () => {
    const dir = tempDir('ruche-script-');
    const big = path.join(dir, 'big.json');
    fs.writeFileSync(big, JSON.stringify(script([open()], { description: ' '.repeat(1024 * 1024) })));
    const r = await runRuche(['script', 'check', big]);
    assert.deepEqual(r, { code: 1, signal: null, stdout: 'script: larger than 1024 KiB\n', stderr: '' });
  });
});
