// What a hive's members learn about each other, live and on resume:
// member.joined (added by an admin, by invite over the protocol or at
// sign-up, admitted from the waitlist), member.left (left, removed,
// account deleted), member.updated (hive.set_role with its seat and load
// rules), user.updated (a new display name) and hive.updated (renamed,
// resized, archived).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { firstAdmin, signup, PASSWORD } from '../lib/api.mjs';
import {
  addMember, barrier, chatClient, createUsers, loginAll, makeHive, received, refused, waitCount,
} from '../lib/chat-setup.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';

const MENTOR_CAP = 4;

describe('member and hive events', () => {
  let server;
  let admin;
  let hive;
  let ids;
  const c = {}; // handle -> synced client

  before(async () => {
    server = await startServer({
      args: ['--mentor-max-learners', String(MENTOR_CAP), '--hive-max-capacity', '20'],
      env: cleanEnv(),
    });
    admin = await firstAdmin(server);
    hive = await makeHive(server, 'Comets', { mentors: ['mira'], learners: ['lea', 'luc'], capacity: 3 });
    ids = await createUsers(server, ['nina', 'omar']);
    const tokens = await loginAll(server, ['mira', 'lea', 'luc', 'nina', 'omar']);
    for (const h of Object.keys(tokens)) c[h] = await chatClient(server, tokens[h].token);
    c.tokens = tokens;
  });

  after(async () => {
    for (const x of [admin?.ws, c.mira, c.lea, c.luc, c.nina, c.omar]) if (x && !x.closeInfo) await x.close();
    await stopOk(server);
  });

  test('hive.add_member: the members and the newcomer get member.joined, with a position', async () => {
    await admin.ws.call('hive.add_member', { hive_id: hive.id, handle: 'nina', role: 'learner' });
    for (const who of ['mira', 'lea', 'nina']) {
      await waitCount(c[who], 'member.joined', 1, (d) => d.member.user_id === ids.nina);
      const [ev] = received(c[who], 'member.joined', (d) => d.member.user_id === ids.nina);
      assert.ok(ev.pos > 0, 'stored, so it has a position');
      assert.equal(ev.data.hive_id, hive.id);
      assert.equal(ev.data.member.handle, 'nina');
      assert.equal(ev.data.member.role, 'learner');
    }
    // omar is in no hive: he hears nothing of it.
    await barrier(c.omar);
    assert.equal(received(c.omar, 'member.joined').length, 0);
  });

  test('hive.set_role: member.updated; seat and load refusals change nothing', async () => {
    // The hive is full (3 learners): a mentor cannot become a learner.
    await admin.ws.call('hive.add_member', { hive_id: hive.id, handle: 'omar', role: 'mentor' });
    await refused(admin.ws, 'hive.set_role', { hive_id: hive.id, user_id: ids.omar, role: 'learner' }, 'hive_full');
    // A learner becomes a mentor: a seat is freed.
    await admin.ws.call('hive.set_role', { hive_id: hive.id, user_id: ids.nina, role: 'mentor' });
    await waitCount(c.lea, 'member.updated', 1, (d) => d.user_id === ids.nina && d.role === 'mentor');
    await waitCount(c.nina, 'member.updated', 1, (d) => d.user_id === ids.nina);
    let members = (await c.lea.call('hive.members', { hive_id: hive.id })).members;
    assert.equal(members.find((m) => m.user_id === ids.nina).role, 'mentor');
    let h = (await admin.ws.call('hive.list')).hives.find((x) => x.id === hive.id);
    assert.equal(h.learners, 2);
    assert.equal(h.mentors, 3);
    // Same role again: nothing to do, no event.
    const before = received(c.lea, 'member.updated').length;
    await admin.ws.call('hive.set_role', { hive_id: hive.id, user_id: ids.nina, role: 'mentor' });
    await barrier(c.lea);
    assert.equal(received(c.lea, 'member.updated').length, before);
    // Back to learner: the seat is free again.
    await admin.ws.call('hive.set_role', { hive_id: hive.id, user_id: ids.nina, role: 'learner' });
    await waitCount(c.lea, 'member.updated', 1, (d) => d.user_id === ids.nina && d.role === 'learner');
    h = (await admin.ws.call('hive.list')).hives.find((x) => x.id === hive.id);
    assert.equal(h.learners, 3);
    members = (await c.lea.call('hive.members', { hive_id: hive.id })).members;
    assert.equal(members.find((m) => m.user_id === ids.nina).role, 'learner');
  });

  test('hive.set_role refusals: not an admin, not a member, bad role, no such hive', async () => {
    const lea = c.tokens.lea.user.id;
    await refused(c.mira, 'hive.set_role', { hive_id: hive.id, user_id: lea, role: 'mentor' }, 'forbidden');
    await refused(c.lea, 'hive.set_role', { hive_id: hive.id, user_id: lea, role: 'mentor' }, 'forbidden');
    await refused(admin.ws, 'hive.set_role', { hive_id: hive.id, user_id: admin.user.id, role: 'mentor' }, 'not_member');
    await refused(admin.ws, 'hive.set_role', { hive_id: hive.id, user_id: lea, role: 'admin' }, 'invalid_param');
    await refused(admin.ws, 'hive.set_role', { hive_id: 99999, user_id: lea, role: 'mentor' }, 'not_found');
    const members = (await c.lea.call('hive.members', { hive_id: hive.id })).members;
    assert.equal(members.find((m) => m.user_id === lea).role, 'learner');
  });

  test('hive.set_role: a learner who would pass the mentor load cap stays a learner', async () => {
    // p1 mentors 2 learners in Quasar; in Nebula, a mentor would take on
    // its 3 other learners: 5, over the cap of 4.
    await makeHive(server, 'Quasar', { mentors: ['p1'], learners: ['q1', 'q2'], capacity: 4 });
    const nebula = await makeHive(server, 'Nebula', { learners: ['p2', 'p3', 'p4'], capacity: 4 });
    await addMember(server, nebula.id, 'p1', 'learner');
    const { members } = await admin.ws.call('hive.members', { hive_id: nebula.id });
    const p1 = members.find((m) => m.handle === 'p1').user_id;
    await refused(admin.ws, 'hive.set_role', { hive_id: nebula.id, user_id: p1, role: 'mentor' }, 'mentor_overloaded');
    const after = (await admin.ws.call('hive.members', { hive_id: nebula.id })).members;
    assert.equal(after.find((m) => m.user_id === p1).role, 'learner');
  });

  test('account.set_name: user.updated to the members of their hives', async () => {
    await c.luc.call('account.set_name', { display_name: 'Luc the Great' });
    await waitCount(c.mira, 'user.updated', 1, (d) => d.display_name === 'Luc the Great');
    const [ev] = received(c.mira, 'user.updated', (d) => d.display_name === 'Luc the Great');
    assert.ok(ev.pos > 0);
    assert.equal(ev.data.user_id, c.tokens.luc.user.id);
  });

  test('hive.update and hive.archive: hive.updated to the members', async () => {
    const extra = await makeHive(server, 'Pulsar', { learners: ['r1'] });
    const { r1 } = await loginAll(server, ['r1']);
    const r = await chatClient(server, r1.token);
    try {
      await admin.ws.call('hive.update', { hive_id: extra.id, name: 'Pulsar 2', capacity: 9 });
      await waitCount(r, 'hive.updated', 1, (d) => d.hive.name === 'Pulsar 2');
      const [ev] = received(r, 'hive.updated', (d) => d.hive.name === 'Pulsar 2');
      assert.equal(ev.data.hive.capacity, 9);
      assert.equal(ev.data.hive.archived, false);
      await admin.ws.call('hive.archive', { hive_id: extra.id });
      await waitCount(r, 'hive.updated', 1, (d) => d.hive.archived === true);
      // A refused update stores and sends nothing.
      await refused(admin.ws, 'hive.update', { hive_id: extra.id, name: 'Again' }, 'hive_archived');
      await barrier(r);
      assert.equal(received(r, 'hive.updated').length, 2);
      // Others, in other hives, hear nothing of it.
      await barrier(c.lea);
      assert.equal(received(c.lea, 'hive.updated', (d) => d.hive.id === extra.id).length, 0);
    } finally {
      await r.close();
    }
  });

  test('invite sign-up and invite.accept: member.joined; the waitlist admission too', async () => {
    const h = await makeHive(server, 'Orbit', { mentors: ['mo'], learners: [], capacity: 1 });
    const { mo } = await loginAll(server, ['mo']);
    const m = await chatClient(server, mo.token);
    try {
      const { code } = await admin.ws.call('invite.create', { hive_id: h.id, role: 'learner', max_uses: 3 });
      const s = await signup(server.port, code, 'sam');
      await waitCount(m, 'member.joined', 1, (d) => d.member.user_id === s.user.id);
      // The hive is full now: the next learner waits, then is admitted.
      const w = await signup(server.port, code, 'wes', { waitlist: true });
      await barrier(m);
      assert.equal(received(m, 'member.joined', (d) => d.member.user_id === w.user.id).length, 0,
        'waiting is not joining');
      await admin.ws.call('hive.update', { hive_id: h.id, capacity: 2 });
      await admin.ws.call('hive.admit', { hive_id: h.id, user_id: w.user.id });
      await waitCount(m, 'member.joined', 1, (d) => d.member.user_id === w.user.id);
      // An existing account accepting over the protocol.
      const { code: code2 } = await admin.ws.call('invite.create', { hive_id: h.id, role: 'mentor', max_uses: 1 });
      await c.nina.call('invite.accept', { code: code2 });
      await waitCount(m, 'member.joined', 1, (d) => d.member.user_id === ids.nina && d.member.role === 'mentor');
      // nina's own connection learns of the hive by the same event.
      await waitCount(c.nina, 'member.joined', 1, (d) => d.hive_id === h.id);
    } finally {
      await m.close();
    }
  });

  test('hive.leave, hive.remove_member, account.delete: member.left to those who stay', async () => {
    await c.lea.call('hive.leave', { hive_id: hive.id });
    await waitCount(c.mira, 'member.left', 1, (d) => d.user_id === c.tokens.lea.user.id);
    await barrier(c.lea);
    assert.equal(received(c.lea, 'member.left').length, 0, 'the leaver gets hive.removed, not member.left');
    await waitCount(c.lea, 'hive.removed', 1, (d) => d.hive_id === hive.id);

    await admin.ws.call('hive.remove_member', { hive_id: hive.id, user_id: ids.nina });
    await waitCount(c.mira, 'member.left', 1, (d) => d.user_id === ids.nina);

    const lucId = c.tokens.luc.user.id;
    await c.luc.call('account.delete', { password: PASSWORD });
    await waitCount(c.mira, 'member.left', 1, (d) => d.user_id === lucId && d.hive_id === hive.id);
    const members = (await c.mira.call('hive.members', { hive_id: hive.id })).members.map((m) => m.user_id);
    assert.ok(!members.includes(lucId) && !members.includes(ids.nina) && !members.includes(c.tokens.lea.user.id));
  });

  test('what a hive says of itself and its members: admins, retention, one\'s own mute', async () => {
    const h = await makeHive(server, 'Meteor', { mentors: ['mo2'], learners: ['la2', 'lb2'] });
    const { mo2, la2 } = await loginAll(server, ['mo2', 'la2']);
    const m = await chatClient(server, mo2.token);
    const l = await chatClient(server, la2.token);
    try {
      await admin.ws.call('hive.add_member', { hive_id: h.id, user_id: admin.user.id, role: 'learner' });
      const members = (await m.call('hive.members', { hive_id: h.id })).members;
      assert.equal(members.find((x) => x.user_id === admin.user.id).admin, true);
      assert.equal(members.find((x) => x.user_id === la2.user.id).admin, false);
      await refused(m, 'mod.mute', { hive_id: h.id, user_id: admin.user.id, seconds: 60 }, 'forbidden');

      // Retention: null by default, then what the admin set, live.
      let mine = (await l.call('hive.list')).hives.find((x) => x.id === h.id);
      assert.equal(mine.retention_days, null);
      assert.equal(mine.muted_until, undefined);
      await admin.ws.call('hive.set_retention', { hive_id: h.id, days: 90 });
      await waitCount(l, 'hive.updated', 1, (d) => d.hive.id === h.id && d.hive.retention_days === 90);

      // A muted learner learns it from the hive list, from the start.
      const { mute } = await m.call('mod.mute', { hive_id: h.id, user_id: la2.user.id, seconds: 3600 });
      mine = (await l.call('hive.list')).hives.find((x) => x.id === h.id);
      assert.equal(mine.muted_until, mute.until);
      assert.equal(mine.retention_days, 90);
      const me = await l.call('account.me');
      assert.equal(me.hives.find((x) => x.id === h.id).muted_until, mine.muted_until);
      // Nobody else's list says it.
      const theirs = (await m.call('hive.list')).hives.find((x) => x.id === h.id);
      assert.equal(theirs.muted_until, undefined);
      await m.call('mod.unmute', { hive_id: h.id, user_id: la2.user.id });
      assert.equal((await l.call('hive.list')).hives.find((x) => x.id === h.id).muted_until, undefined);

      // Pins come with their messages.
      const general = (await l.call('channel.list', { hive_id: h.id })).channels.find((x) => x.name === 'general');
      const { message } = await l.call('msg.send', { channel_id: general.id, text: 'Pin me, please' });
      await m.call('pin.add', { message_id: message.id });
      const { pins } = await l.call('pin.list', { channel_id: general.id });
      assert.equal(pins.length, 1);
      assert.equal(pins[0].message.id, message.id);
      assert.equal(pins[0].message.text, 'Pin me, please');
    } finally {
      await m.close();
      await l.close();
    }
  });

  test('a client that was away gets the membership events when it resumes', async () => {
    await barrier(c.mira);
    const pos = Math.max(c.mira.synced.pos, ...c.mira.log.filter((m) => m.pos).map((m) => m.pos));
    const mira = c.tokens.mira.token;
    await c.mira.close();
    await admin.ws.call('hive.add_member', { hive_id: hive.id, handle: 'lea', role: 'learner' });
    await admin.ws.call('hive.update', { hive_id: hive.id, description: 'Back together' });
    const again = await chatClient(server, mira, pos);
    c.mira = again;
    const evs = again.synced.events.map((e) => e.ev);
    assert.ok(evs.includes('member.joined'), `resume has member.joined: ${evs}`);
    assert.ok(evs.includes('hive.updated'), `resume has hive.updated: ${evs}`);
    assert.ok(again.synced.events.every((e) => e.pos > pos), 'nothing from before the disconnection');
  });
});
