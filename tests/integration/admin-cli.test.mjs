// `ruche admin`: every subcommand's output (lines and --json), its help,
// how bad input is refused (exit 2) and domain refusals (exit 1 and the
// error code), the community caps, invite links, and running next to a
// `ruche serve` on the same database.
//
// Every success is checked for exit code 0 and an empty stderr: under
// AddressSanitizer a leak or a memory error makes both fail.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { runRuche, startServer, tempDir } from '../lib/server.mjs';
import { stopOk } from '../lib/util.mjs';

// runRuche() passes our environment on: a RUCHE_DB or RUCHE_PUBLIC_URL
// set by whoever runs the tests must not change what is tested.  (The
// binary's path was read from RUCHE_BIN when server.mjs was imported.)
for (const name of Object.keys(process.env)) {
  if (name.startsWith('RUCHE_')) delete process.env[name];
}

const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a different long passphrase';
const COMMANDS = [
  'create-user',
  'create-hive',
  'add-member',
  'invite',
  'list-hives',
  'list-members',
  'reset-password',
];
const CODE = '[A-Za-z0-9_-]{43}';
const DAY_MS = 86400 * 1000;

const newDb = () => path.join(tempDir('ruche-admin-'), 'ruche.db');

// `ruche admin CMD --db DB ARGS...`.
function admin(db, cmd, args = [], opts = {}) {
  return runRuche(['admin', cmd, '--db', db, ...args], opts);
}

function assertOk(r, what) {
  assert.equal(r.signal, null, `${what}: died of ${r.signal}\n${r.stderr}`);
  assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.equal(r.stderr, '', `${what}: nothing on stderr`);
}

// A usage error: exit 2, nothing on stdout, one line on stderr.
function assertUsageError(r, mention) {
  assert.equal(r.code, 2, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  assert.match(r.stderr, /^ruche admin[^\n]*\n$/, `one line on stderr, got ${JSON.stringify(r.stderr)}`);
  if (mention) assert.ok(r.stderr.includes(mention), `stderr names ${mention}: ${r.stderr}`);
}

// A refused operation: exit 1, nothing on stdout, one line ending with
// the protocol error code in parentheses.
function assertFailure(r, cmd, code) {
  assert.equal(r.code, 1, `exit code (stderr: ${r.stderr})`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  assert.match(r.stderr, new RegExp(`^ruche admin ${cmd}: [^\\n]+ \\(${code}\\)\\n$`), r.stderr);
}

// An operation that must be refused with that error code.
async function refused(db, cmd, args, code) {
  assertFailure(await admin(db, cmd, args), cmd, code);
}

async function createUser(db, handle, extra = [], password = PASSWORD) {
  const args = [handle, '--password-stdin', ...extra];
  const r = await admin(db, 'create-user', args, { input: `${password}\n` });
  assertOk(r, `create-user ${handle}`);
  const m = r.stdout.match(/^(\d+)\t(\S+)\n$/);
  assert.ok(m, `create-user prints "id<TAB>handle": ${JSON.stringify(r.stdout)}`);
  return Number(m[1]);
}

async function createHive(db, name, extra = []) {
  const r = await admin(db, 'create-hive', [name, ...extra]);
  assertOk(r, `create-hive ${name}`);
  assert.match(r.stdout, /^\d+\n$/);
  return Number(r.stdout);
}

async function addMember(db, hive, handle, role) {
  const r = await admin(db, 'add-member', [String(hive), handle, '--role', role]);
  assertOk(r, `add-member ${hive} ${handle} ${role}`);
  return r;
}

async function jsonOf(r, what) {
  assertOk(r, what);
  assert.match(r.stdout, /^[^\n]+\n$/, 'one line of JSON');
  return JSON.parse(r.stdout);
}

// A JSON request to the server's HTTP API: { status, body }.
function api(port, method, urlPath, { body, token } = {}) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  const headers = {};
  if (data !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: urlPath, method, headers, agent: false },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let parsed;
          try {
            parsed = JSON.parse(text);
          } catch {
            parsed = text;
          }
          resolve({ status: res.statusCode, body: parsed });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('ruche admin: help', () => {
  test('--help, -h and help list every command, exit 0', async () => {
    for (const arg of ['--help', '-h', 'help']) {
      const r = await runRuche(['admin', arg]);
      assertOk(r, arg);
      assert.match(r.stdout, /^Usage: ruche admin COMMAND/);
      for (const cmd of COMMANDS) assert.ok(r.stdout.includes(cmd), `${arg} mentions ${cmd}`);
      for (const word of ['--db', 'RUCHE_DB', '--json']) assert.ok(r.stdout.includes(word), word);
    }
  });

  test('no command prints the usage on stderr, exit 2', async () => {
    const r = await runRuche(['admin']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Usage: ruche admin/);
  });

  test('an unknown command is one line on stderr, exit 2', async () => {
    assertUsageError(await runRuche(['admin', 'frobnicate']), 'frobnicate');
  });

  for (const cmd of COMMANDS) {
    test(`${cmd} --help and -h print its usage, exit 0, without opening the database`, async () => {
      const db = newDb();
      for (const arg of ['--help', '-h']) {
        // No arguments and no --password-stdin: help needs none.
        const r = await admin(db, cmd, [arg]);
        assertOk(r, `${cmd} ${arg}`);
        assert.match(r.stdout, new RegExp(`^Usage: ruche admin ${cmd}\\b`));
        assert.ok(r.stdout.includes('--db'), 'mentions --db');
        assert.ok(r.stdout.includes('--json'), 'mentions --json');
      }
      assert.equal(fs.existsSync(db), false, 'no database created');
    });
  }
});

describe('ruche admin: usage errors (exit 2, database untouched)', () => {
  const cases = [
    ...COMMANDS.map((cmd) => [[cmd, '--frobnicate'], '--frobnicate']),
    [['create-user', 'ada', '--password-stdin', '-x'], '-x'],
    [['create-hive', 'H', '--role', 'learner'], '--role'], // another command's flag
    [['create-hive', 'H', '--capacity', '0'], '--capacity'],
    [['create-hive', 'H', '--capacity', 'ten'], '--capacity'],
    [['create-hive', 'H', '--capacity'], '--capacity'], // no value
    [['create-hive'], 'missing'],
    [['create-hive', 'H', 'I'], "'I'"],
    [['create-user', 'ada'], '--password-stdin'],
    [['create-user', '--password-stdin'], 'missing'],
    [['create-user', 'ada', '--password-stdin', '--json=yes'], '--json'],
    [['add-member', '1', 'ada', '--role', 'boss'], '--role'],
    [['add-member', '1', 'ada', '--role', 'none'], '--role'],
    [['add-member', '1', 'ada', '--role=Mentor'], '--role'],
    [['add-member', '1', 'ada'], '--role'],
    [['add-member', '1', '--role', 'learner'], 'missing'],
    [['invite', '--hive', '1', '--role', 'boss'], '--role'],
    [['invite', '--hive', '1'], '--role'],
    [['invite', '--role', 'learner'], '--hive'],
    [['invite', '--expires', '5'], '--expires'],
    [['invite', '--expires', '3w'], '--expires'],
    [['invite', '--expires', '0d'], '--expires'],
    [['invite', '--expires', '-1d'], '--expires'],
    [['invite', '--expires', 'd'], '--expires'],
    [['invite', '--uses', '0'], '--uses'],
    [['invite', '--uses', 'many'], '--uses'],
    [['invite', '--public-url', 'ftp://example.org'], '--public-url'],
    [['invite', 'extra'], 'extra'],
    [['list-hives', 'extra'], 'extra'],
    [['list-hives', '--db', ''], '--db'],
    [['list-members'], 'missing'],
    [['reset-password', 'ada'], '--password-stdin'],
  ];
  for (const [[cmd, ...args], mention] of cases) {
    test(`refuses ${JSON.stringify([cmd, ...args])}`, async () => {
      const db = newDb();
      assertUsageError(await admin(db, cmd, args, { input: `${PASSWORD}\n` }), mention);
      assert.equal(fs.existsSync(db), false, 'no database created');
    });
  }

  test('a bad RUCHE_DB is refused like a bad flag', async () => {
    const r = await runRuche(['admin', 'list-hives'], { env: { RUCHE_DB: '' } });
    assertUsageError(r, 'RUCHE_DB');
  });
});

describe('ruche admin: users', () => {
  const db = newDb();

  test('create-user prints the id and the lower-cased handle', async () => {
    const r = await admin(db, 'create-user', ['Ada', '--password-stdin'], { input: `${PASSWORD}\n` });
    assertOk(r, 'create-user');
    assert.match(r.stdout, /^\d+\tada\n$/);
  });

  test('create-user --json with --display-name and --admin', async () => {
    const args = ['bob', '--display-name', 'Bob Builder', '--admin', '--password-stdin', '--json'];
    const r = await admin(db, 'create-user', args, { input: `${PASSWORD}\n` });
    const u = await jsonOf(r, 'create-user --json');
    assert.equal(typeof u.id, 'number');
    assert.deepEqual(u, { id: u.id, handle: 'bob', display_name: 'Bob Builder', admin: true });
  });

  test('a taken handle is handle_taken, in any case', async () => {
    const r = await admin(db, 'create-user', ['ADA', '--password-stdin'], { input: `${PASSWORD}\n` });
    assertFailure(r, 'create-user', 'handle_taken');
  });

  test('a password under 10 characters is refused and creates nothing', async () => {
    for (const input of ['short\n', '123456789\n', '', '\n']) {
      const r = await admin(db, 'create-user', ['carol', '--password-stdin'], { input });
      assertFailure(r, 'create-user', 'invalid_param');
      assert.ok(r.stderr.includes('password'), r.stderr);
    }
    await createUser(db, 'carol');
  });

  test('a malformed handle or display name is invalid_param', async () => {
    for (const args of [['x'], ['no spaces'], ['dave', '--display-name', ' ']]) {
      const r = await admin(db, 'create-user', [...args, '--password-stdin'], { input: `${PASSWORD}\n` });
      assertFailure(r, 'create-user', 'invalid_param');
    }
  });

  test('RUCHE_DB chooses the database; --db wins over it', async () => {
    const envDb = newDb();
    const r = await runRuche(['admin', 'create-hive', 'From env'], { env: { RUCHE_DB: envDb } });
    assertOk(r, 'create-hive with RUCHE_DB');
    assert.ok(fs.existsSync(envDb));
    const flagDb = newDb();
    const r2 = await runRuche(['admin', 'list-hives', '--db', flagDb], { env: { RUCHE_DB: envDb } });
    assertOk(r2, 'list-hives --db');
    assert.equal(r2.stdout, '', 'the --db database has no hive');
  });

  test('reset-password prints the user; unknown handles are not_found', async () => {
    const r = await admin(db, 'reset-password', ['ADA', '--password-stdin'], { input: `${NEW_PASSWORD}\n` });
    assertOk(r, 'reset-password');
    assert.match(r.stdout, /^\d+\tada\n$/);
    const j = await jsonOf(
      await admin(db, 'reset-password', ['ada', '--password-stdin', '--json'], { input: `${PASSWORD}\n` }),
      'reset-password --json',
    );
    assert.equal(j.handle, 'ada');
    assertFailure(
      await admin(db, 'reset-password', ['nobody', '--password-stdin'], { input: `${PASSWORD}\n` }),
      'reset-password',
      'not_found',
    );
    assertFailure(
      await admin(db, 'reset-password', ['ada', '--password-stdin'], { input: 'short\n' }),
      'reset-password',
      'invalid_param',
    );
  });
});

describe('ruche admin: hives and members', () => {
  const db = newDb();
  const ids = {};
  // Sixteen learners: enough to fill a mentor's default cap of 30 seats
  // with each of them in two hives, while keeping the slow password
  // hashing to 17 accounts.
  const learners = Array.from({ length: 16 }, (_, i) => `l${String(i + 1).padStart(2, '0')}`);

  before(async () => {
    ids.mira = await createUser(db, 'mira', ['--display-name', 'Mira Mentor']);
    for (const h of learners) ids[h] = await createUser(db, h);
  });

  test('create-hive prints the id; --json the hive', async () => {
    ids.web = await createHive(db, 'Web dev', ['--capacity', '2', '--description', 'HTML and CSS']);
    const h = await jsonOf(await admin(db, 'create-hive', ['Data', '--json']), 'create-hive --json');
    assert.equal(typeof h.id, 'number');
    assert.notEqual(h.id, ids.web);
    assert.equal(h.name, 'Data');
    assert.equal(h.description, '');
    assert.equal(h.capacity, 12, 'the default capacity');
    assert.equal(h.learners, 0);
    assert.equal(h.mentors, 0);
    assert.equal(h.archived, false);
    ids.data = h.id;
  });

  test('create-hive refuses a taken name and a capacity over the maximum', async () => {
    await refused(db, 'create-hive', ['web DEV'], 'already_exists');
    await refused(db, 'create-hive', ['Huge', '--capacity', '31'], 'invalid_param');
  });

  test('add-member by hive name or id; text and --json', async () => {
    const r = await addMember(db, 'Web dev', 'mira', 'mentor');
    assert.equal(r.stdout, `${ids.web}\t${ids.mira}\tmentor\n`);
    const j = await jsonOf(
      await admin(db, 'add-member', [String(ids.web), 'L01', '--role=learner', '--json']),
      'add-member --json',
    );
    assert.deepEqual(j, { hive_id: ids.web, user_id: ids.l01, handle: 'l01', role: 'learner' });
  });

  test('add-member refusals: not_found, already_member', async () => {
    await refused(db, 'add-member', ['No such hive', 'l01', '--role', 'learner'], 'not_found');
    await refused(db, 'add-member', ['999', 'l01', '--role', 'learner'], 'not_found');
    await refused(db, 'add-member', ['Web dev', 'nobody', '--role', 'learner'], 'not_found');
    await refused(db, 'add-member', ['Web dev', 'l01', '--role', 'mentor'], 'already_member');
  });

  test('a learner past the capacity is hive_full', async () => {
    await addMember(db, 'Web dev', 'l02', 'learner');
    await refused(db, 'add-member', ['Web dev', 'l03', '--role', 'learner'], 'hive_full');
  });

  test('list-members: user id, handle, role, display name; --json', async () => {
    const r = await admin(db, 'list-members', ['Web dev']);
    assertOk(r, 'list-members');
    const lines = r.stdout.split('\n');
    assert.equal(lines.pop(), '', 'ends with a newline');
    assert.deepEqual(lines.sort(), [
      `${ids.l01}\tl01\tlearner\tl01`, // the display name defaults to the handle
      `${ids.l02}\tl02\tlearner\tl02`,
      `${ids.mira}\tmira\tmentor\tMira Mentor`,
    ].sort());
    const j = await jsonOf(await admin(db, 'list-members', [`${ids.web}`, '--json']), 'list-members --json');
    assert.equal(j.length, 3);
    const mira = j.find((m) => m.handle === 'mira');
    assert.equal(mira.user_id, ids.mira);
    assert.equal(mira.role, 'mentor');
    assert.equal(mira.display_name, 'Mira Mentor');
    const empty = await admin(db, 'list-members', ['Data']);
    assertOk(empty, 'list-members of an empty hive');
    assert.equal(empty.stdout, '');
    await refused(db, 'list-members', ['No such hive'], 'not_found');
  });

  test('list-hives: id, name, learners/capacity, mentors, archived; --json', async () => {
    const r = await admin(db, 'list-hives');
    assertOk(r, 'list-hives');
    const lines = r.stdout.split('\n');
    assert.equal(lines.pop(), '');
    assert.deepEqual(lines.sort(), [
      `${ids.data}\tData\t0/12\t0\tno`,
      `${ids.web}\tWeb dev\t2/2\t1\tno`,
    ].sort());
    const j = await jsonOf(await admin(db, 'list-hives', ['--json']), 'list-hives --json');
    const web = j.find((h) => h.id === ids.web);
    assert.equal(web.name, 'Web dev');
    assert.equal(web.description, 'HTML and CSS');
    assert.equal(web.capacity, 2);
    assert.equal(web.learners, 2);
    assert.equal(web.mentors, 1);
    assert.equal(web.archived, false);
  });

  test('a mentor past 30 learner seats is mentor_overloaded', async () => {
    // Mira mentors Web dev (2 learners); two hives of 30 seats take her
    // to the default cap of 30, counting a learner once per hive.
    await createHive(db, 'Alpha', ['--capacity', '30']);
    await createHive(db, 'Beta', ['--capacity', '30']);
    await addMember(db, 'Alpha', 'mira', 'mentor');
    await addMember(db, 'Beta', 'mira', 'mentor');
    for (const h of learners) await addMember(db, 'Alpha', h, 'learner'); // 2 + 16
    for (const h of learners.slice(0, 12)) await addMember(db, 'Beta', h, 'learner'); // 30
    await refused(db, 'add-member', ['Beta', 'l13', '--role', 'learner'], 'mentor_overloaded');

    // Joining as the mentor of a hive that has learners counts them too.
    await createHive(db, 'Gamma', ['--capacity', '30']);
    await addMember(db, 'Gamma', 'l01', 'learner');
    await refused(db, 'add-member', ['Gamma', 'mira', '--role', 'mentor'], 'mentor_overloaded');

    const hives = await jsonOf(await admin(db, 'list-hives', ['--json']), 'list-hives');
    const beta = hives.find((h) => h.name === 'Beta');
    assert.equal(beta.learners, 12, 'the refusal changed nothing');
  });
});

describe('ruche admin invite', () => {
  const db = newDb();
  let hive;

  before(async () => {
    hive = await createHive(db, 'Invited');
  });

  test('without --hive: a first-admin link on the default address', async () => {
    const r = await admin(db, 'invite');
    assertOk(r, 'invite');
    assert.match(r.stdout, new RegExp(`^http://127\\.0\\.0\\.1:8080/#/setup/${CODE}\\n$`));
  });

  test('with --hive and --role: an invite link; --public-url sets the address', async () => {
    const args = ['--hive', 'Invited', '--role', 'learner', '--public-url', 'https://chat.example.org/'];
    const r = await admin(db, 'invite', args);
    assertOk(r, 'invite --hive');
    assert.match(r.stdout, new RegExp(`^https://chat\\.example\\.org/#/invite/${CODE}\\n$`));
  });

  test('RUCHE_PUBLIC_URL sets the address; --public-url wins over it', async () => {
    const env = { RUCHE_PUBLIC_URL: 'https://env.example.org' };
    const r = await admin(db, 'invite', ['--hive', String(hive), '--role', 'mentor'], { env });
    assertOk(r, 'invite with RUCHE_PUBLIC_URL');
    assert.match(r.stdout, new RegExp(`^https://env\\.example\\.org/#/invite/${CODE}\\n$`));
    const r2 = await admin(db, 'invite', ['--public-url', 'http://flag.example:9000'], { env });
    assertOk(r2, 'invite --public-url');
    assert.match(r2.stdout, new RegExp(`^http://flag\\.example:9000/#/setup/${CODE}\\n$`));
  });

  test('--json: the invite and its url; the code is only in the url', async () => {
    const args = ['--hive', 'Invited', '--role', 'mentor', '--uses', '5', '--expires', '3d', '--json'];
    const r = await admin(db, 'invite', args);
    const inv = await jsonOf(r, 'invite --json');
    const m = inv.url.match(new RegExp(`^http://127\\.0\\.0\\.1:8080/#/invite/(${CODE})$`));
    assert.ok(m, inv.url);
    assert.equal(inv.kind, 'hive');
    assert.equal(inv.hive_id, hive);
    assert.equal(inv.role, 'mentor');
    assert.equal(inv.max_uses, 5);
    assert.equal(inv.uses, 0);
    assert.equal(inv.state, 'active');
    assert.equal(inv.expires_at - inv.created_at, 3 * DAY_MS);
    const { url, ...rest } = inv;
    assert.ok(!JSON.stringify(rest).includes(m[1]), 'the code appears once');
    assert.ok(!r.stderr.includes(m[1]), 'never on stderr');
  });

  test('expiry defaults: 7 days for a hive, 24 hours for an admin link; h and m units', async () => {
    const expiry = async (args) => {
      const inv = await jsonOf(await admin(db, 'invite', [...args, '--json']), `invite ${args.join(' ')}`);
      return inv.expires_at - inv.created_at;
    };
    assert.equal(await expiry(['--hive', 'Invited', '--role', 'learner']), 7 * DAY_MS);
    assert.equal(await expiry([]), DAY_MS);
    assert.equal(await expiry(['--expires', '12h']), 12 * 3600 * 1000);
    assert.equal(await expiry(['--expires=90m']), 90 * 60 * 1000);
    const admin1 = await jsonOf(await admin(db, 'invite', ['--json']), 'invite --json');
    assert.equal(admin1.kind, 'admin');
    assert.equal(admin1.max_uses, 1);
    assert.equal(admin1.hive_id, undefined);
    assert.match(admin1.url, new RegExp(`/#/setup/${CODE}$`));
  });

  test('every invite has its own code', async () => {
    const a = await admin(db, 'invite');
    const b = await admin(db, 'invite');
    assertOk(a, 'invite');
    assertOk(b, 'invite');
    assert.notEqual(a.stdout, b.stdout);
  });

  test('refusals: a missing hive is not_found; limits are invalid_param', async () => {
    await refused(db, 'invite', ['--hive', 'Nowhere', '--role', 'learner'], 'not_found');
    await refused(db, 'invite', ['--expires', '91d'], 'invalid_param');
    await refused(db, 'invite', ['--uses', '1001'], 'invalid_param');
  });
});

describe('ruche admin next to a running server', () => {
  let server;
  after(async () => {
    if (server) await server.stop('SIGKILL');
  });

  test('create-user while ruche serve runs on the same database', async () => {
    server = await startServer();
    const r = await admin(server.dbPath, 'create-user', ['eve', '--password-stdin'], {
      input: `${PASSWORD}\n`,
    });
    await stopOk(server);
    server = undefined;
    assertOk(r, 'create-user next to ruche serve');
    assert.match(r.stdout, /^\d+\teve\n$/);
  });

  test('the server takes what the command made: login, reset-password, invite', async () => {
    server = await startServer();
    const { port, dbPath: db } = server;

    // Only the first line of standard input is the password.
    await createUser(db, 'frank', [], `${PASSWORD}\nnot part of it`);
    const login = await api(port, 'POST', '/api/login', { body: { handle: 'frank', password: PASSWORD } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    const { token } = login.body;
    assert.equal((await api(port, 'GET', '/api/me/export', { token })).status, 200);

    // reset-password ends every session, and only the new password works.
    const r = await admin(db, 'reset-password', ['frank', '--password-stdin'], {
      input: `${NEW_PASSWORD}\n`,
    });
    assertOk(r, 'reset-password');
    const stale = await api(port, 'GET', '/api/me/export', { token });
    assert.equal(stale.status, 401, 'the old session is over');
    const oldLogin = await api(port, 'POST', '/api/login', { body: { handle: 'frank', password: PASSWORD } });
    assert.equal(oldLogin.status, 401, 'the old password is refused');
    const relog = await api(port, 'POST', '/api/login', {
      body: { handle: 'frank', password: NEW_PASSWORD },
    });
    assert.equal(relog.status, 200, JSON.stringify(relog.body));

    // The code of a printed invite link signs a learner up.
    await createHive(db, 'Live');
    const inv = await admin(db, 'invite', ['--hive', 'Live', '--role', 'learner']);
    assertOk(inv, 'invite');
    const code = inv.stdout.trim().split('/').pop();
    const signup = await api(port, 'POST', '/api/signup', {
      body: { code, handle: 'grace', display_name: 'Grace', password: PASSWORD },
    });
    assert.equal(signup.status, 200, JSON.stringify(signup.body));
    const members = await jsonOf(await admin(db, 'list-members', ['Live', '--json']), 'list-members');
    assert.deepEqual(
      members.map((m) => [m.handle, m.role, m.display_name]),
      [['grace', 'learner', 'Grace']],
    );

    await stopOk(server);
    server = undefined;
  });
});
