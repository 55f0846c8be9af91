// Hives: create, update, archive (read-only after), list and members;
// admins adding and removing members, members leaving, the hive.removed
// event on every connection of the removed user; the learner capacity,
// the mentor load cap and the waitlist.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { connectAs, firstAdmin, signup } from '../lib/api.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';

const MAX_CAPACITY = 20;
const MENTOR_CAP = 3;

describe('hives', () => {
  let server;
  let admin;
  let home;
  const u = {}; // handle -> { token, user, ws }

  // An operation that must fail with code.
  async function refused(ws, op, params, code, opts) {
    const r = await ws.request(op, params, opts);
    assert.equal(r.ok, false, `${op} ${JSON.stringify(params)} must fail with ${code}`);
    assert.equal(r.error.code, code, `${op} ${JSON.stringify(params)}: ${r.error.message}`);
    return r;
  }
  const create = async (params) => (await admin.ws.call('hive.create', params)).hive;
  const hiveOf = async (id) => (await admin.ws.call('hive.list')).hives.find((h) => h.id === id);
  const add = (hive, handle, role) => admin.ws.call('hive.add_member', { hive_id: hive, handle, role });

  before(async () => {
    server = await startServer({
      args: ['--hive-max-capacity', String(MAX_CAPACITY), '--mentor-max-learners', String(MENTOR_CAP)],
      env: cleanEnv(),
    });
    admin = await firstAdmin(server);
    home = (await create({ name: 'Home Base' })).id;
    const { code } = await admin.ws.call('invite.create', { hive_id: home, role: 'learner', max_uses: 5 });
    const handles = ['mona', 'lea', 'luc', 'lia', 'lou'];
    const people = await Promise.all(handles.map((h) => signup(server.port, code, h)));
    for (const [i, h] of handles.entries()) u[h] = { ...people[i], ws: await connectAs(server, people[i].token) };
  });

  after(async () => {
    for (const c of [admin?.ws, ...Object.values(u).map((x) => x.ws)]) if (c && !c.closeInfo) await c.close();
    await stopOk(server);
  });

  describe('create, update, archive', () => {
    test('hive.create: defaults, trimmed name, description', async () => {
      const h = await create({ name: '  Web  ' });
      assert.equal(h.name, 'Web');
      assert.equal(h.description, '');
      assert.equal(h.capacity, 12);
      assert.equal(h.learners, 0);
      assert.equal(h.mentors, 0);
      assert.equal(h.archived, false);
      assert.ok(Math.abs(h.created_at - Date.now()) < 60000);
      const d = await create({ name: 'Data', description: 'Pandas & co', capacity: MAX_CAPACITY });
      assert.equal(d.capacity, MAX_CAPACITY);
      assert.equal(d.description, 'Pandas & co');
    });

    test('hive.create refusals: taken name (any case), bad names, capacity over --hive-max-capacity', async () => {
      await refused(admin.ws, 'hive.create', { name: 'WEB' }, 'already_exists');
      await refused(admin.ws, 'hive.create', { name: 'x'.repeat(65) }, 'invalid_param');
      await refused(admin.ws, 'hive.create', { name: '   ' }, 'invalid_param');
      await refused(admin.ws, 'hive.create', { name: 'Tab\there' }, 'invalid_param');
      await refused(admin.ws, 'hive.create', { name: 'Big', capacity: MAX_CAPACITY + 1 }, 'invalid_param');
      await refused(admin.ws, 'hive.create', { name: 'Zero', capacity: 0 }, 'invalid_param', { check: false });
      await refused(admin.ws, 'hive.create', { name: 'Long', description: 'd'.repeat(501) }, 'invalid_param', {
        check: false,
      });
      const names = (await admin.ws.call('hive.list')).hives.map((h) => h.name);
      assert.ok(!names.includes('Big') && !names.includes('Zero') && !names.includes('Long'));
    });

    test('hive.update: each field alone, the others kept', async () => {
      const h = await create({ name: 'Old name', description: 'old', capacity: 5 });
      let r = (await admin.ws.call('hive.update', { hive_id: h.id, name: 'New name' })).hive;
      assert.deepEqual(r, { ...h, name: 'New name' });
      r = (await admin.ws.call('hive.update', { hive_id: h.id, description: '' })).hive;
      assert.deepEqual(r, { ...h, name: 'New name', description: '' });
      r = (await admin.ws.call('hive.update', { hive_id: h.id, capacity: 7 })).hive;
      assert.deepEqual(r, { ...h, name: 'New name', description: '', capacity: 7 });
      await refused(admin.ws, 'hive.update', { hive_id: h.id, name: 'web' }, 'already_exists');
      await refused(admin.ws, 'hive.update', { hive_id: h.id, capacity: MAX_CAPACITY + 1 }, 'invalid_param');
      await refused(admin.ws, 'hive.update', { hive_id: 999999, name: 'Ghost' }, 'not_found');
      // Not below the learners already in.
      await add(h.id, 'lea', 'learner');
      await add(h.id, 'luc', 'learner');
      await refused(admin.ws, 'hive.update', { hive_id: h.id, capacity: 1 }, 'invalid_param');
      assert.equal((await admin.ws.call('hive.update', { hive_id: h.id, capacity: 2 })).hive.capacity, 2);
    });

    test('an archived hive is read-only', async () => {
      const h = await create({ name: 'Attic' });
      await add(h.id, 'lea', 'learner');
      const { code } = await admin.ws.call('invite.create', { hive_id: h.id, role: 'learner' });
      const archived = (await admin.ws.call('hive.archive', { hive_id: h.id })).hive;
      assert.equal(archived.archived, true);
      assert.equal((await hiveOf(h.id)).archived, true);
      await refused(admin.ws, 'hive.archive', { hive_id: h.id }, 'hive_archived');
      await refused(admin.ws, 'hive.update', { hive_id: h.id, name: 'Attic 2' }, 'hive_archived');
      await refused(admin.ws, 'hive.add_member', { hive_id: h.id, handle: 'luc', role: 'learner' }, 'hive_archived');
      await refused(admin.ws, 'invite.create', { hive_id: h.id, role: 'learner' }, 'hive_archived');
      await refused(u.luc.ws, 'invite.accept', { code }, 'hive_archived');
      // Still readable by its members.
      const { members } = await u.lea.ws.call('hive.members', { hive_id: h.id });
      assert.deepEqual(
        members.map((m) => m.handle),
        ['lea'],
      );
      assert.ok((await u.lea.ws.call('hive.list')).hives.some((x) => x.id === h.id && x.archived));
      await refused(admin.ws, 'hive.archive', { hive_id: 999999 }, 'not_found');
    });
  });

  describe('members', () => {
    test('hive.add_member by handle (any case) or user id; refusals', async () => {
      const h = await create({ name: 'Members' });
      assert.deepEqual(await admin.ws.call('hive.add_member', { hive_id: h.id, handle: 'LEA', role: 'learner' }), {});
      assert.deepEqual(
        await admin.ws.call('hive.add_member', { hive_id: h.id, user_id: u.mona.user.id, role: 'mentor' }),
        {},
      );
      const { members } = await admin.ws.call('hive.members', { hive_id: h.id });
      assert.deepEqual(
        members.map((m) => [m.user_id, m.handle, m.display_name, m.role]),
        [
          [u.mona.user.id, 'mona', 'mona', 'mentor'],
          [u.lea.user.id, 'lea', 'lea', 'learner'],
        ],
      );
      for (const m of members) assert.ok(Math.abs(m.since - Date.now()) < 60000);
      await refused(admin.ws, 'hive.add_member', { hive_id: h.id, handle: 'lea', role: 'mentor' }, 'already_member');
      await refused(admin.ws, 'hive.add_member', { hive_id: h.id, handle: 'nobody', role: 'learner' }, 'not_found');
      await refused(admin.ws, 'hive.add_member', { hive_id: h.id, user_id: 999999, role: 'learner' }, 'not_found');
      await refused(admin.ws, 'hive.add_member', { hive_id: 999999, handle: 'luc', role: 'learner' }, 'not_found');
      const bad = { check: false };
      await refused(admin.ws, 'hive.add_member', { hive_id: h.id, handle: 'luc', role: 'boss' }, 'invalid_param', bad);
      await refused(admin.ws, 'hive.add_member', { hive_id: h.id, role: 'learner' }, 'invalid_param', bad);
      await refused(
        admin.ws,
        'hive.add_member',
        { hive_id: h.id, handle: 'luc', user_id: u.luc.user.id, role: 'learner' },
        'invalid_param',
        bad,
      );
      assert.equal((await admin.ws.call('hive.members', { hive_id: h.id })).members.length, 2, 'nothing added');
    });

    test('a removed member gets hive.removed on every connection, at once', async () => {
      const h = await create({ name: 'Removal' });
      await add(h.id, 'luc', 'learner');
      const second = await connectAs(server, u.luc.token);
      const t0 = Date.now();
      assert.deepEqual(await admin.ws.call('hive.remove_member', { hive_id: h.id, user_id: u.luc.user.id }), {});
      for (const c of [u.luc.ws, second]) {
        const ev = await c.waitFor((m) => m.ev === 'hive.removed', 1000);
        assert.deepEqual(ev, { ev: 'hive.removed', data: { hive_id: h.id } }, 'no pos: not replayed');
      }
      assert.ok(Date.now() - t0 < 1000);
      assert.ok(!(await u.luc.ws.call('hive.list')).hives.some((x) => x.id === h.id));
      await refused(u.luc.ws, 'hive.members', { hive_id: h.id }, 'not_found');
      assert.equal((await hiveOf(h.id)).learners, 0);
      await refused(admin.ws, 'hive.remove_member', { hive_id: h.id, user_id: u.luc.user.id }, 'not_member');
      // Nobody else heard of it.
      assert.ok(await u.lea.ws.quiet(100));
      await second.close();
    });

    test('a member leaves: hive.removed on their connections too; leaving twice is not_member', async () => {
      const h = await create({ name: 'Leaving' });
      await add(h.id, 'lia', 'learner');
      const second = await connectAs(server, u.lia.token);
      assert.deepEqual(await u.lia.ws.call('hive.leave', { hive_id: h.id }), {});
      for (const c of [u.lia.ws, second]) {
        const ev = await c.waitFor((m) => m.ev === 'hive.removed', 1000);
        assert.equal(ev.data.hive_id, h.id);
      }
      assert.equal((await admin.ws.call('hive.members', { hive_id: h.id })).members.length, 0);
      await refused(u.lia.ws, 'hive.leave', { hive_id: h.id }, 'not_member');
      await refused(u.lia.ws, 'hive.leave', { hive_id: 999999 }, 'not_member');
      await second.close();
    });

    test('members see their hives and the member lists of those only', async () => {
      const a = await create({ name: 'Visible' });
      const b = await create({ name: 'Hidden' });
      await add(a.id, 'lou', 'learner');
      await add(b.id, 'lia', 'learner');
      const mine = (await u.lou.ws.call('hive.list')).hives.map((h) => [h.name, h.role]);
      assert.deepEqual(mine, [
        ['Home Base', 'learner'],
        ['Visible', 'learner'],
      ]);
      assert.equal((await u.lou.ws.call('hive.members', { hive_id: a.id })).members.length, 1);
      await refused(u.lou.ws, 'hive.members', { hive_id: b.id }, 'not_found');
      await refused(u.lou.ws, 'hive.members', { hive_id: 999999 }, 'not_found');
      const all = (await admin.ws.call('hive.list')).hives.map((h) => h.name);
      assert.ok(all.includes('Visible') && all.includes('Hidden') && all.includes('Attic'), 'admins see all');
      assert.deepEqual([...all].sort((x, y) => x.localeCompare(y)), all, 'ordered by name');
    });
  });

  describe('capacity, mentor load and the waitlist', () => {
    test('a join past capacity fails with hive_full and changes nothing; mentors do not count', async () => {
      const h = await create({ name: 'Tiny', capacity: 2 });
      await add(h.id, 'lea', 'learner');
      await add(h.id, 'luc', 'learner');
      const before = await hiveOf(h.id);
      await refused(admin.ws, 'hive.add_member', { hive_id: h.id, handle: 'lia', role: 'learner' }, 'hive_full');
      const { code } = await admin.ws.call('invite.create', { hive_id: h.id, role: 'learner' });
      await refused(u.lia.ws, 'invite.accept', { code }, 'hive_full');
      assert.deepEqual(await hiveOf(h.id), before);
      await add(h.id, 'lia', 'mentor');
      assert.equal((await hiveOf(h.id)).mentors, 1);
    });

    test('a full hive\'s invite can put a learner on the waitlist; an admin admits them', async () => {
      const h = await create({ name: 'Popular', capacity: 1 });
      await add(h.id, 'lea', 'learner');
      const { invite, code } = await admin.ws.call('invite.create', { hive_id: h.id, role: 'learner', max_uses: 3 });
      const r = await u.lou.ws.call('invite.accept', { code, waitlist: true });
      assert.deepEqual(r, { hive_id: h.id, role: 'learner', waitlisted: true });
      const { waitlist } = await admin.ws.call('hive.waitlist', { hive_id: h.id });
      assert.deepEqual(
        waitlist.map((w) => [w.user_id, w.handle, w.role]),
        [[u.lou.user.id, 'lou', 'learner']],
      );
      assert.ok(Math.abs(waitlist[0].since - Date.now()) < 60000);
      assert.equal((await admin.ws.call('invite.list', { hive_id: h.id })).invites.find((i) => i.id === invite.id).uses, 1);
      await refused(u.lou.ws, 'hive.members', { hive_id: h.id }, 'not_found');

      // Admitting needs a seat; someone not waiting cannot be admitted.
      await refused(admin.ws, 'hive.admit', { hive_id: h.id, user_id: u.lou.user.id }, 'hive_full');
      await refused(admin.ws, 'hive.admit', { hive_id: h.id, user_id: u.luc.user.id }, 'not_found');
      await admin.ws.call('hive.update', { hive_id: h.id, capacity: 2 });
      assert.deepEqual(await admin.ws.call('hive.admit', { hive_id: h.id, user_id: u.lou.user.id }), {});
      assert.deepEqual((await admin.ws.call('hive.waitlist', { hive_id: h.id })).waitlist, []);
      assert.ok((await u.lou.ws.call('hive.list')).hives.some((x) => x.id === h.id && x.role === 'learner'));
      await refused(admin.ws, 'hive.admit', { hive_id: h.id, user_id: u.lou.user.id }, 'not_found');
      await refused(admin.ws, 'hive.waitlist', { hive_id: 999999 }, 'not_found');
    });

    test(`a mentor may lead ${MENTOR_CAP} learners across hives: mentor_overloaded past that`, async () => {
      const a = await create({ name: 'Load A', capacity: 10 });
      const b = await create({ name: 'Load B', capacity: 10 });
      // mona mentors lea in 'Members' already: a load of 1.
      await add(a.id, 'mona', 'mentor');
      await add(a.id, 'lea', 'learner');
      await add(b.id, 'lou', 'learner');
      // Mentoring B too makes 3: allowed; then neither hive takes more.
      await add(b.id, 'mona', 'mentor');
      await refused(admin.ws, 'hive.add_member', { hive_id: a.id, handle: 'lia', role: 'learner' }, 'mentor_overloaded');
      await refused(admin.ws, 'hive.add_member', { hive_id: b.id, handle: 'lia', role: 'learner' }, 'mentor_overloaded');
      const { code } = await admin.ws.call('invite.create', { hive_id: b.id, role: 'learner' });
      await refused(u.lia.ws, 'invite.accept', { code, waitlist: true }, 'mentor_overloaded');
      assert.equal((await hiveOf(b.id)).learners, 1, 'nothing changed');
      // A mentor joining a hive counts its learners too.
      const c = await create({ name: 'Load C' });
      await add(c.id, 'lia', 'learner');
      await refused(admin.ws, 'hive.add_member', { hive_id: c.id, handle: 'mona', role: 'mentor' }, 'mentor_overloaded');
      // Learners in hives where mona is a learner do not count.
      assert.ok((await u.mona.ws.call('hive.list')).hives.some((x) => x.name === 'Home Base' && x.role === 'learner'));
    });
  });
});
