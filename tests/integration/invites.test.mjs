// Invites: who creates them and with what limits, listing and revoking,
// and what each state of a code answers (unknown, revoked, expired, used
// up) on POST /api/invite, POST /api/signup and invite.accept; accepting
// as a logged-in user; the first-admin links.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';

import { runRuche, startServer } from '../lib/server.mjs';
import {
  CODE_RE,
  PASSWORD,
  api,
  assertApiError,
  connectAs,
  firstAdmin,
  inviteCode,
  setupCode,
  signup,
} from '../lib/api.mjs';
import { sqlite } from '../lib/sqlite.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';

const DAY_MS = 86400 * 1000;

describe('invites', () => {
  let server;
  let port;
  let admin;
  let hive;
  let other;
  let mentor; // { token, user, ws }
  let learner;
  let setup;

  async function refused(ws, op, params, code, opts) {
    const r = await ws.request(op, params, opts);
    assert.equal(r.ok, false, `${op} ${JSON.stringify(params)} must fail with ${code}`);
    assert.equal(r.error.code, code, `${op} ${JSON.stringify(params)}: ${r.error.message}`);
  }
  const listed = async (id, hiveId = hive) =>
    (await admin.ws.call('invite.list', { hive_id: hiveId })).invites.find((i) => i.id === id);

  // What a code answers everywhere it can be used: /api/invite,
  // /api/signup (which must create nothing) and invite.accept.
  async function answersEverywhere(code, status, errCode) {
    assertApiError(await api(port, 'POST', '/api/invite', { body: { code } }), status, errCode, '/api/invite');
    const res = await api(port, 'POST', '/api/signup', {
      body: { code, handle: 'hopeful', display_name: 'Hopeful', password: PASSWORD },
    });
    assertApiError(res, status, errCode, '/api/signup');
    await refused(learner.ws, 'invite.accept', { code }, errCode);
  }

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    port = server.port;
    setup = setupCode(server);
    admin = await firstAdmin(server);
    hive = (await admin.ws.call('hive.create', { name: 'Invited' })).hive.id;
    other = (await admin.ws.call('hive.create', { name: 'Other' })).hive.id;
    const [m, l] = await Promise.all([
      inviteCode(admin.ws, hive, 'mentor').then((c) => signup(port, c, 'mentor')),
      inviteCode(admin.ws, other, 'learner').then((c) => signup(port, c, 'learner')),
    ]);
    mentor = { ...m, ws: await connectAs(server, m.token) };
    learner = { ...l, ws: await connectAs(server, l.token) };
  });

  after(async () => {
    for (const c of [admin?.ws, mentor?.ws, learner?.ws]) if (c && !c.closeInfo) await c.close();
    await stopOk(server);
  });

  describe('invite.create', () => {
    test('defaults: one use, seven days; the code is shown once and only there', async () => {
      const { invite, code } = await admin.ws.call('invite.create', { hive_id: hive, role: 'learner' });
      assert.match(code, CODE_RE);
      assert.equal(invite.kind, 'hive');
      assert.equal(invite.hive_id, hive);
      assert.equal(invite.role, 'learner');
      assert.equal(invite.max_uses, 1);
      assert.equal(invite.uses, 0);
      assert.equal(invite.state, 'active');
      assert.equal(invite.expires_at - invite.created_at, 7 * DAY_MS);
      const again = await listed(invite.id);
      assert.deepEqual(again, invite);
      assert.ok(!JSON.stringify(await admin.ws.call('invite.list', {})).includes(code), 'never listed');
    });

    test('max_uses and expires_in_s within their limits', async () => {
      const { invite } = await admin.ws.call('invite.create', {
        hive_id: hive,
        role: 'mentor',
        max_uses: 1000,
        expires_in_s: 60,
      });
      assert.equal(invite.max_uses, 1000);
      assert.equal(invite.expires_at - invite.created_at, 60 * 1000);
      const long = await admin.ws.call('invite.create', { hive_id: hive, role: 'learner', expires_in_s: 90 * 86400 });
      assert.equal(long.invite.expires_at - long.invite.created_at, 90 * DAY_MS);
      const bad = { check: false };
      for (const p of [
        { max_uses: 0 },
        { max_uses: 1001 },
        { expires_in_s: 59 },
        { expires_in_s: 90 * 86400 + 1 },
        { role: 'admin' },
        { role: 'none' },
      ]) {
        await refused(admin.ws, 'invite.create', { hive_id: hive, role: 'learner', ...p }, 'invalid_param', bad);
      }
      await refused(admin.ws, 'invite.create', { hive_id: 999999, role: 'learner' }, 'not_found');
    });

    test('mentors invite learners to their hives only', async () => {
      const { invite } = await mentor.ws.call('invite.create', { hive_id: hive, role: 'learner', max_uses: 5 });
      assert.equal(invite.role, 'learner');
      await refused(mentor.ws, 'invite.create', { hive_id: hive, role: 'mentor' }, 'forbidden');
      await refused(mentor.ws, 'invite.create', { hive_id: other, role: 'learner' }, 'not_found');
      await refused(learner.ws, 'invite.create', { hive_id: other, role: 'learner' }, 'forbidden');
    });
  });

  describe('invite.list and invite.revoke', () => {
    test('admins list every invite (the setup link too), or a hive\'s; mentors their hive\'s', async () => {
      const all = (await admin.ws.call('invite.list', {})).invites;
      const ids = all.map((i) => i.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
      const setupLink = all.find((i) => i.kind === 'admin');
      assert.ok(setupLink, 'the first-admin link is listed');
      assert.equal(setupLink.state, 'used_up');
      assert.equal(setupLink.hive_id, undefined);
      assert.equal(setupLink.role, undefined);
      const mine = (await mentor.ws.call('invite.list', { hive_id: hive })).invites;
      assert.ok(mine.length >= 3);
      assert.ok(mine.every((i) => i.hive_id === hive));
      assert.deepEqual(mine, (await admin.ws.call('invite.list', { hive_id: hive })).invites);
      await refused(mentor.ws, 'invite.list', {}, 'forbidden');
      await refused(mentor.ws, 'invite.list', { hive_id: other }, 'forbidden');
      await refused(learner.ws, 'invite.list', { hive_id: other }, 'forbidden');
      assert.deepEqual((await admin.ws.call('invite.list', { hive_id: 999999 })).invites, []);
    });

    test('revoking: admins any invite, mentors those of their hives; twice is invite_revoked', async () => {
      const a = await admin.ws.call('invite.create', { hive_id: hive, role: 'learner' });
      assert.deepEqual(await mentor.ws.call('invite.revoke', { invite_id: a.invite.id }), {});
      assert.equal((await listed(a.invite.id)).state, 'revoked');
      await refused(mentor.ws, 'invite.revoke', { invite_id: a.invite.id }, 'invite_revoked');
      const b = await admin.ws.call('invite.create', { hive_id: other, role: 'learner' });
      await refused(mentor.ws, 'invite.revoke', { invite_id: b.invite.id }, 'not_found');
      await refused(learner.ws, 'invite.revoke', { invite_id: b.invite.id }, 'forbidden');
      await refused(admin.ws, 'invite.revoke', { invite_id: 999999 }, 'not_found');
      assert.equal((await listed(b.invite.id, other)).state, 'active');
      assert.deepEqual(await admin.ws.call('invite.revoke', { invite_id: b.invite.id }), {});
      assert.equal((await listed(b.invite.id, other)).state, 'revoked');
    });
  });

  describe('using a code', () => {
    test('an unknown code: 404 invite_not_found, everywhere', async () => {
      await answersEverywhere(crypto.randomBytes(32).toString('base64url'), 404, 'invite_not_found');
      await answersEverywhere('not-a-code', 404, 'invite_not_found');
    });

    test('a revoked code: 410 invite_revoked, everywhere', async () => {
      const { invite, code } = await admin.ws.call('invite.create', { hive_id: hive, role: 'learner' });
      await admin.ws.call('invite.revoke', { invite_id: invite.id });
      await answersEverywhere(code, 410, 'invite_revoked');
      assert.equal((await listed(invite.id)).uses, 0);
    });

    test('a used-up code: 410 invite_used_up, everywhere', async () => {
      const { invite, code } = await admin.ws.call('invite.create', { hive_id: other, role: 'mentor', max_uses: 1 });
      assert.deepEqual(await mentor.ws.call('invite.accept', { code }), {
        hive_id: other,
        role: 'mentor',
        waitlisted: false,
      });
      assert.equal((await listed(invite.id, other)).state, 'used_up');
      await answersEverywhere(code, 410, 'invite_used_up');
      assert.deepEqual(await mentor.ws.call('hive.leave', { hive_id: other }), {});
    });

    test('an expired code: 410 invite_expired, everywhere', async () => {
      const { invite, code } = await admin.ws.call('invite.create', { hive_id: hive, role: 'learner' });
      // invite.create takes 60 s at least: age the invite in the database.
      sqlite(server.dbPath, `UPDATE invites SET expires_at = ${Date.now() - 1000} WHERE id = ${invite.id}`);
      await answersEverywhere(code, 410, 'invite_expired');
      assert.equal((await listed(invite.id)).state, 'expired');
      // Revoked wins over expired.
      await admin.ws.call('invite.revoke', { invite_id: invite.id });
      await answersEverywhere(code, 410, 'invite_revoked');
    });

    test('invite.accept adds the membership for a logged-in user, up to max_uses', async () => {
      const { invite, code } = await admin.ws.call('invite.create', { hive_id: hive, role: 'learner', max_uses: 2 });
      const info = await api(port, 'POST', '/api/invite', { body: { code } });
      assert.deepEqual(info.body, {
        kind: 'hive',
        role: 'learner',
        hive: { id: hive, name: 'Invited', description: '', full: false },
      });
      assert.deepEqual(await learner.ws.call('invite.accept', { code }), {
        hive_id: hive,
        role: 'learner',
        waitlisted: false,
      });
      assert.ok((await learner.ws.call('hive.list')).hives.some((h) => h.id === hive && h.role === 'learner'));
      // Already a member: refused, and the use is not counted.
      await refused(learner.ws, 'invite.accept', { code }, 'already_member');
      await refused(mentor.ws, 'invite.accept', { code }, 'already_member');
      assert.equal((await listed(invite.id)).uses, 1);
      const anon = await (await import('../lib/client.mjs')).connect(server.wsUrl);
      assert.equal((await anon.request('invite.accept', { code })).error.code, 'unauthenticated');
      await anon.close();
    });

    test('a signup to an archived hive is refused, and no account is made', async () => {
      const h = (await admin.ws.call('hive.create', { name: 'Closed' })).hive.id;
      const code = await inviteCode(admin.ws, h, 'learner');
      await admin.ws.call('hive.archive', { hive_id: h });
      const res = await api(port, 'POST', '/api/signup', {
        body: { code, handle: 'latecomer', display_name: 'Late', password: PASSWORD },
      });
      assertApiError(res, 409, 'hive_archived');
      assert.deepEqual(sqlite(server.dbPath, "SELECT id FROM users WHERE handle = 'latecomer'"), [], 'no account');
    });
  });

  describe('first-admin links', () => {
    test('invite.accept refuses an admin link: it makes new accounts only', async () => {
      const r = await runRuche(['admin', 'invite', '--db', server.dbPath], { env: cleanEnv() });
      assert.equal(r.code, 0, r.stderr);
      const code = r.stdout.trim().split('/').pop();
      assert.match(code, CODE_RE);
      await refused(learner.ws, 'invite.accept', { code }, 'forbidden');
      assert.deepEqual((await api(port, 'POST', '/api/invite', { body: { code } })).body, { kind: 'admin' });
      const second = await signup(port, code, 'second-admin');
      assert.equal(second.user.admin, true);
      const ws = await connectAs(server, second.token);
      assert.ok((await ws.call('hive.list')).hives.length >= 2, 'an admin sees every hive');
      await ws.close();
    });

    test('an expired setup link: invite_expired', async () => {
      const r = await runRuche(['admin', 'invite', '--db', server.dbPath, '--json'], { env: cleanEnv() });
      const inv = JSON.parse(r.stdout);
      sqlite(server.dbPath, `UPDATE invites SET expires_at = ${Date.now() - 1} WHERE id = ${inv.id}`);
      const code = inv.url.split('/').pop();
      assertApiError(
        await api(port, 'POST', '/api/signup', {
          body: { code, handle: 'third-admin', display_name: 'Third', password: PASSWORD },
        }),
        410,
        'invite_expired',
      );
      // And the printed link of the first start was used once only.
      assertApiError(await api(port, 'POST', '/api/invite', { body: { code: setup.code } }), 410, 'invite_used_up');
    });
  });
});
