// Accounts: the rules for handles, display names and passwords, changing
// one's display name, the export of one's data, and deleting one's
// account (sessions and memberships go, connections close).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { connect } from '../lib/client.mjs';
import { PASSWORD, api, assertApiError, connectAs, firstAdmin, inviteCode, signup } from '../lib/api.mjs';
import { sqlite } from '../lib/sqlite.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';

// 32 characters, mixed case: the longest handle, stored in lower case.
const LONG_HANDLE = 'Grace.Hopper_1906-Cobol.Compiler';
const LONG_PASSWORD = 'p'.repeat(1024); // the longest password: 1024 bytes

describe('accounts', () => {
  let server;
  let port;
  let admin;
  let hive;
  let grace; // { token, user, ws }

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    port = server.port;
    admin = await firstAdmin(server);
    ({ hive: { id: hive } } = await admin.ws.call('hive.create', { name: 'Accounts' }));
    const code = await inviteCode(admin.ws, hive, 'learner');
    grace = await signup(port, code, LONG_HANDLE, { displayName: 'Grace' });
    grace.ws = await connectAs(server, grace.token);
  });

  after(async () => {
    for (const c of [admin?.ws, grace?.ws]) if (c && !c.closeInfo) await c.close();
    await stopOk(server);
  });

  describe('handles', () => {
    test('are stored in lower case, 32 characters at most', () => {
      assert.equal(grace.user.handle, LONG_HANDLE.toLowerCase());
    });

    test('bad handles are refused with 400 invalid_param before anything is made', async () => {
      const { invite, code } = await admin.ws.call('invite.create', { hive_id: hive, role: 'learner' });
      for (const handle of ['a', 'x'.repeat(33), 'ada lovelace', 'ada!', 'adà', 'ada@home', '', 'ada/..']) {
        const res = await api(port, 'POST', '/api/signup', {
          body: { code, handle, display_name: 'Someone', password: PASSWORD },
        });
        assertApiError(res, 400, 'invalid_param', JSON.stringify(handle));
      }
      const { invites } = await admin.ws.call('invite.list', { hive_id: hive });
      assert.equal(invites.find((i) => i.id === invite.id).uses, 0, 'the invite was not used');
    });

    test('a handle is unique regardless of case: 409 handle_taken', async () => {
      const code = await inviteCode(admin.ws, hive, 'learner');
      for (const handle of [LONG_HANDLE, LONG_HANDLE.toUpperCase(), 'ADMIN']) {
        const res = await api(port, 'POST', '/api/signup', {
          body: { code, handle, display_name: 'Copycat', password: PASSWORD },
        });
        assertApiError(res, 409, 'handle_taken', handle);
      }
    });
  });

  describe('passwords', () => {
    test('need 10 characters (not bytes) and at most 1024 bytes', async () => {
      const code = await inviteCode(admin.ws, hive, 'learner');
      for (const password of ['123456789', 'é'.repeat(9), '😀'.repeat(9), 'x'.repeat(1025), 'é'.repeat(513)]) {
        const res = await api(port, 'POST', '/api/signup', {
          body: { code, handle: 'pat', display_name: 'Pat', password },
        });
        assertApiError(res, 400, 'invalid_param', `password of ${[...password].length} characters`);
      }
      const short = await grace.ws.request('account.set_password', {
        old_password: PASSWORD,
        new_password: 'é'.repeat(9),
      });
      assert.equal(short.error.code, 'invalid_param');
    });

    test('a password of 1024 bytes works, and only exactly that one', async () => {
      const code = await inviteCode(admin.ws, hive, 'learner');
      const carol = await signup(port, code, 'carol', { password: LONG_PASSWORD });
      assert.ok(carol.token);
      const longer = await api(port, 'POST', '/api/login', {
        body: { handle: 'carol', password: `${LONG_PASSWORD}EXTRA` },
      });
      assertApiError(longer, 401, 'bad_credentials', 'a longer password must not match a cut-off copy of it');
    });
  });

  describe('display names', () => {
    const setName = (display_name) => grace.ws.request('account.set_name', { display_name });

    test('are trimmed of surrounding spaces and tabs', async () => {
      const { user } = await grace.ws.call('account.set_name', { display_name: ' \t Grace Hopper \t ' });
      assert.equal(user.display_name, 'Grace Hopper');
      assert.deepEqual(user, { ...grace.user, display_name: 'Grace Hopper' });
      const { members } = await admin.ws.call('hive.members', { hive_id: hive });
      assert.equal(members.find((m) => m.user_id === grace.user.id).display_name, 'Grace Hopper');
    });

    test('take any script, up to 64 characters (not bytes)', async () => {
      for (const name of ['Zoë Ng', '李小龙', 'محمد', 'Ελένη', '😀'.repeat(64), 'é'.repeat(64), 'x'.repeat(64)]) {
        const r = await setName(name);
        assert.equal(r.ok, true, `${name}: ${JSON.stringify(r.error)}`);
        assert.equal(r.data.user.display_name, name);
      }
      assert.equal((await grace.ws.call('account.me')).user.display_name, 'x'.repeat(64));
    });

    test('over 64 characters, empty, blank or with control characters: invalid_param', async () => {
      for (const name of [
        'x'.repeat(65),
        '😀'.repeat(65),
        ' '.repeat(10),
        '\t',
        'Grace\nHopper',
        'Grace\u0007',
        '\u001b[31mRed',
        'Grace\u007f',
        'Grace\u0085',
        'Grace\u2028Hopper',
        'Grace\rHopper',
      ]) {
        const r = await setName(name);
        assert.equal(r.ok, false, JSON.stringify(name));
        assert.equal(r.error.code, 'invalid_param', JSON.stringify(name));
      }
      const empty = await grace.ws.request('account.set_name', { display_name: '' }, { check: false });
      assert.equal(empty.error.code, 'invalid_param');
      assert.equal((await grace.ws.call('account.me')).user.display_name, 'x'.repeat(64), 'unchanged');
    });

    test('are checked at signup too', async () => {
      const code = await inviteCode(admin.ws, hive, 'learner');
      for (const display_name of ['', '   ', 'a\nb', 'x'.repeat(65)]) {
        const res = await api(port, 'POST', '/api/signup', {
          body: { code, handle: 'newbie', display_name, password: PASSWORD },
        });
        assertApiError(res, 400, 'invalid_param', JSON.stringify(display_name));
      }
    });
  });

  describe('your data', () => {
    test('account.me: the user and their hives; an admin sees only the hives they belong to', async () => {
      const me = await grace.ws.call('account.me');
      assert.equal(me.user.id, grace.user.id);
      assert.deepEqual(
        me.hives.map((h) => [h.id, h.name, h.role]),
        [[hive, 'Accounts', 'learner']],
      );
      assert.deepEqual((await admin.ws.call('account.me')).hives, [], 'the admin is in no hive');
      const all = await admin.ws.call('hive.list');
      assert.deepEqual(
        all.hives.map((h) => [h.id, h.role]),
        [[hive, 'none']],
      );
    });

    test('account.export and GET /api/me/export give everything, and no secret', async () => {
      const data = await grace.ws.call('account.export');
      assert.equal(data.format, 'ruche-export/1');
      assert.ok(Math.abs(data.exported_at - Date.now()) < 60000);
      assert.equal(data.user.id, grace.user.id);
      assert.equal(data.user.handle, grace.user.handle);
      assert.ok(data.user.created_at <= data.exported_at);
      assert.equal(data.sessions.length, 1, 'one session: the signup');
      assert.ok(data.sessions[0].expires_at > Date.now());
      assert.deepEqual(
        data.hives.map((h) => [h.id, h.role]),
        [[hive, 'learner']],
      );
      const text = JSON.stringify(data);
      assert.ok(!text.includes(grace.token), 'no token');
      assert.ok(!text.includes('scrypt'), 'no password hash');
      const http = await api(port, 'GET', '/api/me/export', { token: grace.token });
      assert.equal(http.status, 200);
      assert.deepEqual({ ...http.body, exported_at: 0 }, { ...data, exported_at: 0 });
    });
  });

  describe('account.delete', () => {
    test('needs the password; then sessions and memberships go and the connections close', async () => {
      const code = await inviteCode(admin.ws, hive, 'learner');
      const dan = await signup(port, code, 'dan', { displayName: 'Dan' });
      const ws = await connectAs(server, dan.token);
      const other = await connect(server.wsUrl, { headers: { cookie: `ruche_session=${dan.token}` } });
      const before = (await admin.ws.call('hive.list')).hives.find((h) => h.id === hive).learners;

      const wrong = await ws.request('account.delete', { password: 'not my password' });
      assert.equal(wrong.error.code, 'bad_credentials');
      assert.equal(ws.closeInfo, null, 'a refused delete changes nothing');

      // The reply comes before the close.
      const reply = ws.request('account.delete', { password: PASSWORD });
      const [r, closed] = await Promise.allSettled([reply, ws.closed]);
      assert.equal(closed.value.code, 4001, 'the connection closes: session ended');
      assert.equal((await other.closed).code, 4001);

      assertApiError(await api(port, 'GET', '/api/me/export', { token: dan.token }), 401, 'unauthenticated');
      assertApiError(
        await api(port, 'POST', '/api/login', { body: { handle: 'dan', password: PASSWORD } }),
        401,
        'bad_credentials',
      );
      const { members } = await admin.ws.call('hive.members', { hive_id: hive });
      assert.ok(!members.some((m) => m.user_id === dan.user.id), 'no longer a member');
      assert.equal((await admin.ws.call('hive.list')).hives.find((h) => h.id === hive).learners, before - 1);
      const c = await connect(server.wsUrl);
      assert.equal((await c.request('auth', { token: dan.token })).error.code, 'unauthenticated');
      await c.close();
      // The handle is freed, the name and the password hash erased.
      const [row] = sqlite(server.dbPath, `SELECT handle, display_name, pw_hash FROM users WHERE id = ${dan.user.id}`);
      assert.deepEqual(row, { handle: `~deleted-${dan.user.id}`, display_name: 'deleted user', pw_hash: null });
      assert.deepEqual(sqlite(server.dbPath, `SELECT id FROM sessions WHERE user_id = ${dan.user.id}`), []);
      // Every request gets its reply: the close must not swallow it.
      assert.equal(r.status, 'fulfilled', `account.delete answered before the close: ${r.reason?.message}`);
      assert.deepEqual(r.value.data, {});
    });

    test('works whatever handles other people chose (even "deleted-<id>")', async () => {
      const [eve, squatter] = await (async () => {
        const e = await signup(port, await inviteCode(admin.ws, hive, 'learner'), 'eve');
        const s = await signup(port, await inviteCode(admin.ws, hive, 'learner'), `deleted-${e.user.id}`);
        return [e, s];
      })();
      assert.ok(squatter.token);
      const ws = await connectAs(server, eve.token);
      let reply;
      try {
        reply = await ws.request('account.delete', { password: PASSWORD });
      } catch (err) {
        // The reply may be lost in the close (see the test above).
        if (!ws.closeInfo) throw err;
      }
      if (reply) assert.equal(reply.ok, true, `account.delete failed: ${JSON.stringify(reply.error)}`);
      const closed = { value: await ws.closed };
      assert.equal(closed.value.code, 4001, 'eve\'s account was deleted');
    });
  });
});
