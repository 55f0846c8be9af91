// Issue 7, mentor actions through the real server: delete, mute (and a
// timed mute ending by itself on the test clock), kick, ban, slow mode,
// lock and pins; every refusal (a learner trying each action, a mentor
// outside their hive or acting on a mentor or an admin, a muted member
// posting or reacting, a slow-moded learner posting too fast, a learner
// posting in a locked channel, a banned user accepting an invite).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';
import { login } from '../lib/api.mjs';
import {
  admin,
  barrier,
  chatClient,
  fullHistory,
  like,
  loginAll,
  makeHive,
  received,
  refused,
  waitCount,
} from '../lib/chat-setup.mjs';

describe('mentor actions', { timeout: 120000 }, () => {
  let server;
  let A; // mira, mona (mentors); ann, ben, cat, dan, eve (learners)
  let B; // olga (mentor); bob (learner)
  let tok;
  const cl = {};
  const ch = {};
  const uid = (h) => tok[h].user.id;

  before(async () => {
    server = await startServer({ env: cleanEnv(), fakeClock: true });
    [A, B] = await Promise.all([
      makeHive(server, 'Hive A', { mentors: ['mira', 'mona'], learners: ['ann', 'ben', 'cat', 'dan', 'eve'] }),
      makeHive(server, 'Hive B', { mentors: ['olga'], learners: ['bob'] }),
    ]);
    await admin(server, ['create-user', 'root', '--admin', '--password-stdin'], 'correct horse battery staple\n');
    const all = [...A.handles, ...B.handles];
    tok = await loginAll(server, all);
    tok.root = await login(server.port, 'root');
    await Promise.all([...all, 'root'].map(async (h) => (cl[h] = await chatClient(server, tok[h].token))));
    for (const x of (await cl.mira.call('channel.list', { hive_id: A.id })).channels) ch[x.name] = x;
  });

  after(async () => {
    for (const c of Object.values(cl)) if (!c.closeInfo) await c.close();
    await stopOk(server);
  });

  async function audit(params) {
    return (await cl.mira.call('audit.list', { hive_id: A.id, ...params })).entries;
  }

  test('a learner trying any mentor action is refused with forbidden, nothing changes', async () => {
    const { message } = await cl.ben.call('msg.send', { channel_id: ch.general.id, text: 'a learner message' });
    const before = await audit({});
    const h = A.id;
    const u = uid('cat');
    const tries = [
      ['mod.delete', { message_id: message.id }],
      ['mod.mute', { hive_id: h, user_id: u, seconds: 60 }],
      ['mod.unmute', { hive_id: h, user_id: u }],
      ['mod.mutes', { hive_id: h }],
      ['mod.kick', { hive_id: h, user_id: u }],
      ['mod.ban', { hive_id: h, user_id: u }],
      ['mod.unban', { hive_id: h, user_id: u }],
      ['mod.bans', { hive_id: h }],
      ['mod.slow_mode', { channel_id: ch.general.id, seconds: 30 }],
      ['mod.lock', { channel_id: ch.general.id, locked: true }],
      ['pin.add', { message_id: message.id }],
      ['pin.remove', { message_id: message.id }],
      ['report.resolve', { report_id: 1, outcome: 'dismissed' }],
      ['guard.get', { hive_id: h }],
      ['guard.set', { hive_id: h, flood_messages: 1, flood_seconds: 1 }],
      ['audit.list', { hive_id: h }],
      ['hive.set_retention', { hive_id: h, days: 1 }],
    ];
    for (const [op, params] of tries) {
      const reply = await cl.ann.request(op, params, { check: false });
      assert.equal(reply.ok, false, `${op} by a learner`);
      // report.resolve names a report that does not exist yet.
      assert.ok(['forbidden', 'not_found'].includes(reply.error.code), `${op}: ${reply.error.code}`);
      if (op !== 'report.resolve') assert.equal(reply.error.code, 'forbidden', op);
    }
    assert.deepEqual(await audit({}), before, 'no audit entry');
    const hist = await fullHistory(cl.ann, ch.general.id);
    like(hist.find((m) => m.id === message.id), { deleted: false, text: 'a learner message' });
    await cl.cat.call('msg.send', { channel_id: ch.general.id, text: 'cat is not muted' });
    const channel = (await cl.ann.call('channel.list', { hive_id: h })).channels.find((c) => c.id === ch.general.id);
    like(channel, { slow_mode_seconds: 0, locked: false });
  });

  test('a mentor acting outside their hive, or on a mentor or an admin, is refused', async () => {
    const { message } = await cl.mona.call('msg.send', { channel_id: ch.general.id, text: 'from mona' });
    // olga mentors B only: hive A does not exist for her.
    await refused(cl.olga, 'mod.mute', { hive_id: A.id, user_id: uid('ann'), seconds: 60 }, 'not_found', 'outside her hive');
    await refused(cl.olga, 'mod.kick', { hive_id: A.id, user_id: uid('ann') }, 'not_found');
    await refused(cl.olga, 'mod.delete', { message_id: message.id }, 'not_found');
    await refused(cl.olga, 'mod.lock', { channel_id: ch.general.id, locked: true }, 'not_found');
    // mira on mona (a mentor) and on root (an admin).
    await refused(cl.mira, 'mod.mute', { hive_id: A.id, user_id: uid('mona'), seconds: 60 }, 'forbidden', 'mute a mentor');
    await refused(cl.mira, 'mod.kick', { hive_id: A.id, user_id: uid('mona') }, 'forbidden', 'kick a mentor');
    await refused(cl.mira, 'mod.ban', { hive_id: A.id, user_id: uid('mona') }, 'forbidden', 'ban a mentor');
    await refused(cl.mira, 'mod.delete', { message_id: message.id }, 'forbidden', "delete a mentor's message");
    await refused(cl.mira, 'mod.ban', { hive_id: A.id, user_id: tok.root.user.id }, 'forbidden', 'ban an admin');
    const hist = await fullHistory(cl.mira, ch.general.id);
    like(hist.find((m) => m.id === message.id), { deleted: false });
    assert.equal((await cl.mira.call('hive.members', { hive_id: A.id })).members.length, 7, 'nobody removed');
    // An admin may act on a mentor anywhere.
    const mute = await cl.root.call('mod.mute', { hive_id: A.id, user_id: uid('mona'), seconds: 60, reason: 'test' });
    like(mute.mute, { user_id: uid('mona'), by: tok.root.user.id, automatic: false });
    await cl.root.call('mod.unmute', { hive_id: A.id, user_id: uid('mona') });
  });

  test('mod.delete: a tombstone removed by a mentor; only its author sees the reason', async () => {
    const { message } = await cl.ben.call('msg.send', { channel_id: ch.general.id, text: 'something rude' });
    await cl.mira.call('mod.delete', { message_id: message.id, reason: 'be kind please' });
    const isIt = (d) => d.message_id === message.id;
    await waitCount(cl.ben, 'msg.deleted', 1, isIt);
    await waitCount(cl.ann, 'msg.deleted', 1, isIt);
    like(received(cl.ben, 'msg.deleted', isIt)[0].data, { removed_by_mentor: true, reason: 'be kind please' });
    const others = received(cl.ann, 'msg.deleted', isIt)[0].data;
    assert.equal(others.removed_by_mentor, true);
    assert.equal(others.reason, undefined, 'others never see the reason');
    const mine = (await fullHistory(cl.ben, ch.general.id)).find((m) => m.id === message.id);
    like(mine, { deleted: true, text: '', removed_by_mentor: true, removal_reason: 'be kind please' });
    const theirs = (await fullHistory(cl.ann, ch.general.id)).find((m) => m.id === message.id);
    like(theirs, { deleted: true, removed_by_mentor: true });
    assert.equal(theirs.removal_reason, undefined);
    // Replayed by sync, the text is gone from the log too.
    const again = await chatClient(server, tok.ann.token, 0);
    const created = again.synced.events.find((e) => e.ev === 'msg.created' && e.data.message.id === message.id);
    assert.equal(created.data.message.text, '');
    await again.close();
    const [entry] = await audit({ action: 'delete_message' });
    like(entry, { actor_id: uid('mira'), automatic: false, target_user_id: uid('ben'), message_id: message.id, reason: 'be kind please' });
    await refused(cl.mira, 'mod.delete', { message_id: message.id }, 'message_deleted');
  });

  test('a muted member reads but cannot post or react until unmuted', async () => {
    const g = ch.general.id;
    const { message } = await cl.mira.call('msg.send', { channel_id: g, text: 'react to me' });
    const { mute } = await cl.mira.call('mod.mute', { hive_id: A.id, user_id: uid('cat'), seconds: 600, reason: 'cool down' });
    await waitCount(cl.ann, 'mod.muted', 1, (d) => d.user_id === uid('cat'));
    const r = await refused(cl.cat, 'msg.send', { channel_id: g, text: 'let me talk' }, 'muted');
    assert.equal(r.error.until, mute.until, 'the refusal says until when');
    const r2 = await refused(cl.cat, 'msg.react', { message_id: message.id, emoji: '👍' }, 'muted');
    assert.equal(r2.error.until, mute.until);
    await refused(cl.cat, 'msg.send', { channel_id: ch.help.id, text: 'other channel' }, 'muted');
    const said = received(cl.cat, 'msg.created', (d) => d.message.author_id === uid('cat'))[0].data.message;
    await refused(cl.cat, 'msg.edit', { message_id: said.id, text: 'edited while muted' }, 'muted');
    assert.ok((await fullHistory(cl.cat, g)).some((m) => m.id === message.id), 'still reads');
    const { mutes } = await cl.mira.call('mod.mutes', { hive_id: A.id });
    like(mutes.find((m) => m.user_id === uid('cat')), { until: mute.until, reason: 'cool down', automatic: false });
    await cl.mira.call('mod.unmute', { hive_id: A.id, user_id: uid('cat') });
    await waitCount(cl.cat, 'mod.unmuted', 1, (d) => d.user_id === uid('cat') && d.expired === false);
    await cl.cat.call('msg.send', { channel_id: g, text: 'thanks' });
    await refused(cl.mira, 'mod.unmute', { hive_id: A.id, user_id: uid('cat') }, 'not_found', 'not muted any more');
    assert.equal((await audit({ target_id: uid('cat'), action: 'mute' })).length, 1);
    assert.equal((await audit({ target_id: uid('cat'), action: 'unmute' })).length, 1);
  });

  test('a timed mute ends by itself when its time is over (test clock)', async () => {
    const { mute } = await cl.mira.call('mod.mute', { hive_id: A.id, user_id: uid('dan'), seconds: 120 });
    await refused(cl.dan, 'msg.send', { channel_id: ch.general.id, text: 'too early' }, 'muted');
    await cl.root.call('clock.advance', { ms: 60 * 1000 });
    await refused(cl.dan, 'msg.send', { channel_id: ch.general.id, text: 'still early' }, 'muted');
    assert.equal(received(cl.dan, 'mod.unmuted', (d) => d.user_id === uid('dan')).length, 0);
    const { time } = await cl.root.call('clock.advance', { ms: 61 * 1000 });
    assert.ok(time >= mute.until);
    await waitCount(cl.dan, 'mod.unmuted', 1, (d) => d.user_id === uid('dan') && d.expired === true);
    await waitCount(cl.mira, 'mod.unmuted', 1, (d) => d.user_id === uid('dan') && d.expired === true);
    await cl.dan.call('msg.send', { channel_id: ch.general.id, text: 'back' });
    const { mutes } = await cl.mira.call('mod.mutes', { hive_id: A.id });
    assert.equal(mutes.some((m) => m.user_id === uid('dan')), false);
  });

  test('slow mode: one message per N seconds per learner; mentors exempt', async () => {
    const h = ch.help.id;
    const { channel } = await cl.mira.call('mod.slow_mode', { channel_id: h, seconds: 30 });
    like(channel, { id: h, slow_mode_seconds: 30, locked: false });
    await waitCount(cl.ann, 'channel.updated', 1, (d) => d.channel.id === h && d.channel.slow_mode_seconds === 30);
    await cl.ann.call('msg.send', { channel_id: h, text: 'first' });
    const r = await refused(cl.ann, 'msg.send', { channel_id: h, text: 'second, too soon' }, 'slow_mode');
    assert.equal(r.error.retry_after_ms, 30000, 'the fake clock stands still');
    await cl.ben.call('msg.send', { channel_id: h, text: 'another learner is not slowed by ann' });
    await cl.mira.call('msg.send', { channel_id: h, text: 'mentor 1' });
    await cl.mira.call('msg.send', { channel_id: h, text: 'mentor 2' });
    await cl.root.call('clock.advance', { ms: 20000 });
    const r2 = await refused(cl.ann, 'msg.send', { channel_id: h, text: 'still too soon' }, 'slow_mode');
    assert.equal(r2.error.retry_after_ms, 10000);
    await cl.root.call('clock.advance', { ms: 10000 });
    await cl.ann.call('msg.send', { channel_id: h, text: 'second, in time' });
    await cl.mira.call('mod.slow_mode', { channel_id: h, seconds: 0 });
    await cl.ann.call('msg.send', { channel_id: h, text: 'third, slow mode off' });
    const entries = await audit({ action: 'slow_mode' });
    assert.deepEqual(entries.map((e) => e.detail.seconds), [0, 30]);
  });

  test('a locked channel is read-only for learners', async () => {
    const g = ch.general.id;
    const { channel } = await cl.mira.call('mod.lock', { channel_id: g, locked: true });
    like(channel, { locked: true });
    await waitCount(cl.ann, 'channel.updated', 1, (d) => d.channel.id === g && d.channel.locked === true);
    const before = (await fullHistory(cl.ann, g)).length;
    await refused(cl.ann, 'msg.send', { channel_id: g, text: 'hello?' }, 'channel_locked');
    const listed = (await cl.ann.call('channel.list', { hive_id: A.id })).channels.find((c) => c.id === g);
    like(listed, { locked: true });
    await cl.mira.call('msg.send', { channel_id: g, text: 'mentors still post' });
    await cl.root.call('msg.send', { channel_id: g, text: 'admins too' });
    assert.equal((await fullHistory(cl.ann, g)).length, before + 2);
    await cl.mira.call('mod.lock', { channel_id: g, locked: false });
    await cl.ann.call('msg.send', { channel_id: g, text: 'open again' });
    assert.deepEqual((await audit({})).filter((e) => ['lock', 'unlock'].includes(e.action)).map((e) => e.action), ['unlock', 'lock']);
  });

  test('pins: mentors pin, readers list them, everyone learns live', async () => {
    const g = ch.general.id;
    const { message } = await cl.ann.call('msg.send', { channel_id: g, text: 'a useful resource' });
    await cl.mira.call('pin.add', { message_id: message.id });
    await waitCount(cl.ben, 'pin.added', 1, (d) => d.pin.message_id === message.id);
    const { pins } = await cl.ben.call('pin.list', { channel_id: g });
    like(pins[0], { message_id: message.id, channel_id: g, by: uid('mira') });
    await refused(cl.mira, 'pin.add', { message_id: message.id }, 'already_exists', 'pinned twice');
    await refused(cl.bob, 'pin.list', { channel_id: g }, 'not_found', 'another hive');
    await cl.mira.call('pin.remove', { message_id: message.id });
    await waitCount(cl.ben, 'pin.removed', 1, (d) => d.message_id === message.id);
    assert.deepEqual((await cl.ben.call('pin.list', { channel_id: g })).pins, []);
    await refused(cl.mira, 'pin.remove', { message_id: message.id }, 'not_found', 'not pinned');
    assert.deepEqual((await audit({ target_id: uid('ann') })).filter((e) => e.message_id === message.id).map((e) => e.action), ['unpin', 'pin']);
  });

  test('kick: the membership goes, their connections learn it, rejoining needs an invite', async () => {
    await cl.mira.call('mod.kick', { hive_id: A.id, user_id: uid('eve'), reason: 'left the program' });
    await waitCount(cl.eve, 'hive.removed', 1, (d) => d.hive_id === A.id);
    await waitCount(cl.ann, 'member.left', 1, (d) => d.user_id === uid('eve'));
    await refused(cl.eve, 'channel.list', { hive_id: A.id }, 'not_found');
    await refused(cl.eve, 'msg.send', { channel_id: ch.general.id, text: 'still here?' }, 'not_found');
    await refused(cl.mira, 'mod.kick', { hive_id: A.id, user_id: uid('eve') }, 'not_member');
    const { code } = await cl.mira.call('invite.create', { hive_id: A.id, role: 'learner' });
    await cl.eve.call('invite.accept', { code });
    assert.ok((await cl.mira.call('hive.members', { hive_id: A.id })).members.some((m) => m.user_id === uid('eve')));
    like((await audit({ action: 'kick' }))[0], { target_user_id: uid('eve'), reason: 'left the program' });
  });

  test('ban: removed, and no invite of the hive admits them until unbanned', async () => {
    await cl.mira.call('mod.ban', { hive_id: A.id, user_id: uid('eve'), reason: 'harassment' });
    await waitCount(cl.eve, 'hive.removed', 2, (d) => d.hive_id === A.id);
    await waitCount(cl.ann, 'member.left', 2, (d) => d.user_id === uid('eve'));
    const { bans } = await cl.mira.call('mod.bans', { hive_id: A.id });
    like(bans[0], { user_id: uid('eve'), handle: 'eve', by: uid('mira'), reason: 'harassment' });
    await refused(cl.mira, 'mod.ban', { hive_id: A.id, user_id: uid('eve') }, 'banned', 'banned twice');
    const { code } = await cl.mira.call('invite.create', { hive_id: A.id, role: 'learner' });
    await refused(cl.eve, 'invite.accept', { code }, 'banned', 'a banned user accepting an invite');
    assert.equal((await cl.mira.call('hive.members', { hive_id: A.id })).members.some((m) => m.user_id === uid('eve')), false);
    await cl.mira.call('mod.unban', { hive_id: A.id, user_id: uid('eve') });
    assert.deepEqual((await cl.mira.call('mod.bans', { hive_id: A.id })).bans, []);
    await refused(cl.mira, 'mod.unban', { hive_id: A.id, user_id: uid('eve') }, 'not_found');
    await cl.eve.call('invite.accept', { code });
    assert.deepEqual((await audit({ target_id: uid('eve') })).map((e) => e.action).slice(0, 3), ['unban', 'ban', 'kick']);
  });

  test('clock.advance is for admins, and every message matched the schema', async () => {
    await refused(cl.mira, 'clock.advance', { ms: 1000 }, 'forbidden');
    await barrier(cl.ann);
    for (const c of Object.values(cl)) c.assertClean();
  });
});
