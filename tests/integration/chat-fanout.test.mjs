// Issue 4 through the real server, with a full hive: 12 learners and their
// mentor, all connected.  Every message reaches every member once, in
// history order, however many send at once; edits, deletions and
// reactions reach everyone; a client that was away resumes with exactly
// what it missed; a retried send is stored once; mentions, typing and
// read markers reach whom they should and no one else.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { connectAs } from '../lib/api.mjs';
import { cleanEnv, eventually, sleep, stopOk } from '../lib/util.mjs';
import {
  barrier,
  channelByName,
  chatClient,
  fullHistory,
  like,
  loginAll,
  makeHive,
  received,
  refused,
  waitCount,
} from '../lib/chat-setup.mjs';

const LEARNERS = Array.from({ length: 12 }, (_, i) => `l${String(i + 1).padStart(2, '0')}`);

describe('chat in a full hive', { timeout: 120000 }, () => {
  let server;
  let hive; // 12 learners and mira
  let other; // another hive: bob
  let tok; // handle -> { token, user }
  const cl = {}; // handle -> client, synced
  // The 13 clients of the hive (one of them reconnects on the way).
  const everyone = () => hive.handles.map((h) => cl[h]);
  let general;
  let help;
  const uid = (h) => tok[h].user.id;

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    [hive, other] = await Promise.all([
      makeHive(server, 'Web', { mentors: ['mira'], learners: LEARNERS }),
      makeHive(server, 'Other', { learners: ['bob'] }),
    ]);
    tok = await loginAll(server, [...hive.handles, 'bob']);
    await Promise.all(
      [...hive.handles, 'bob'].map(async (h) => {
        cl[h] = await chatClient(server, tok[h].token);
      }),
    );
    general = await channelByName(cl.l01, hive.id, 'general');
    help = await channelByName(cl.l01, hive.id, 'help');
  });

  after(async () => {
    for (const c of Object.values(cl)) if (c && !c.closeInfo) await c.close();
    await stopOk(server);
  });

  test('13 members each see every message once, in history order', async () => {
    assert.equal(everyone().length, 13);
    const PER = 20;
    // Everyone sends at once, pipelined: 260 messages racing.
    const replies = await Promise.all(
      everyone().flatMap((c, i) =>
        Array.from({ length: PER }, (_, k) =>
          c.call('msg.send', { channel_id: general.id, text: `from ${hive.handles[i]} #${k}` }),
        ),
      ),
    );
    const acked = replies.map((r) => r.message.id);
    assert.equal(new Set(acked).size, acked.length, 'every send got its own id');
    for (const r of replies) assert.equal(r.message.channel_id, general.id);

    const inGeneral = (d) => d.message.channel_id === general.id;
    await Promise.all(everyone().map((c) => waitCount(c, 'msg.created', acked.length, inGeneral)));
    const history = await fullHistory(cl.l05, general.id);
    const ids = history.map((m) => m.id);
    assert.equal(ids.length, acked.length, 'history holds every message');
    assert.deepEqual([...ids].sort((a, b) => a - b), [...acked].sort((a, b) => a - b));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'history is in id order');

    for (const [i, c] of everyone().entries()) {
      await barrier(c); // anything duplicated would be here by now
      const got = received(c, 'msg.created', inGeneral);
      assert.deepEqual(
        got.map((e) => e.data.message.id),
        ids,
        `${hive.handles[i]} received each message once, in history order`,
      );
      const pos = got.map((e) => e.pos);
      for (let k = 1; k < pos.length; k++) assert.ok(pos[k] > pos[k - 1], 'positions grow');
      // What was received is what was stored.
      for (const [k, e] of got.entries()) assert.equal(e.data.message.text, history[k].text);
    }
    // The other hive saw none of it.
    await barrier(cl.bob);
    assert.equal(received(cl.bob, 'msg.created').length, 0, 'another hive sees nothing');
  });

  test('an edit, a delete and reactions reach everyone', async () => {
    const a = cl.l01;
    const { message: m1 } = await a.call('msg.send', { channel_id: help.id, text: 'first version' });
    const { message: m2 } = await a.call('msg.send', { channel_id: help.id, text: 'to be deleted' });

    const edited = await a.call('msg.edit', { message_id: m1.id, text: '  second version ' });
    assert.equal(edited.message.text, 'second version', 'the edit is trimmed');
    assert.equal(typeof edited.message.edited_at, 'number');
    for (const c of everyone()) {
      const e = await c.waitFor((m) => m.ev === 'msg.edited' && m.data.message.id === m1.id);
      assert.equal(e.data.message.text, 'second version');
      assert.equal(typeof e.pos, 'number');
    }

    await cl.l02.call('msg.react', { message_id: m1.id, emoji: '👍' });
    await cl.mira.call('msg.react', { message_id: m1.id, emoji: '👍' });
    await cl.l03.call('msg.react', { message_id: m1.id, emoji: '🎉' });
    await cl.l02.call('msg.react', { message_id: m1.id, emoji: '👍', on: false });
    for (const c of everyone()) {
      const adds = [];
      for (let k = 0; k < 3; k++) adds.push(await c.waitFor((m) => m.ev === 'reaction.added' && m.data.message_id === m1.id));
      assert.deepEqual(
        adds.map((e) => [e.data.user_id, e.data.emoji, e.data.count, e.data.channel_id]),
        [
          [uid('l02'), '👍', 1, help.id],
          [uid('mira'), '👍', 2, help.id],
          [uid('l03'), '🎉', 1, help.id],
        ],
      );
      const rm = await c.waitFor((m) => m.ev === 'reaction.removed' && m.data.message_id === m1.id);
      assert.deepEqual([rm.data.user_id, rm.data.emoji, rm.data.count], [uid('l02'), '👍', 1]);
    }

    await a.call('msg.delete', { message_id: m2.id });
    for (const c of everyone()) {
      const e = await c.waitFor((m) => m.ev === 'msg.deleted' && m.data.message_id === m2.id);
      like(e.data, { message_id: m2.id, channel_id: help.id });
    }

    const page = await cl.mira.call('msg.history', { channel_id: help.id });
    const h1 = page.messages.find((m) => m.id === m1.id);
    const h2 = page.messages.find((m) => m.id === m2.id);
    assert.equal(h1.text, 'second version');
    assert.equal(h1.edited_at, edited.message.edited_at);
    assert.deepEqual(
      h1.reactions.map((r) => [r.emoji, r.count, r.mine]),
      [
        ['👍', 1, true],
        ['🎉', 1, false],
      ],
    );
    assert.equal(h2.deleted, true, 'a deleted message stays as a tombstone');
    assert.equal(h2.text, '', 'its text is gone');
    const asL02 = (await cl.l02.call('msg.history', { channel_id: help.id })).messages.find((m) => m.id === m1.id);
    like(asL02.reactions[0], { emoji: '👍', count: 1, mine: false }, '"mine" is per reader');
  });

  test('reacting twice with the same emoji counts once', async () => {
    const { message } = await cl.l04.call('msg.send', { channel_id: help.id, text: 'react twice' });
    await cl.l05.call('msg.react', { message_id: message.id, emoji: '❤️' });
    await cl.l05.request('msg.react', { message_id: message.id, emoji: '❤️' }); // ok or refused
    const h = (await cl.l05.call('msg.history', { channel_id: help.id, around: message.id, limit: 1 })).messages;
    assert.equal(h.length, 1);
    assert.equal(h[0].id, message.id);
    assert.equal(h[0].reactions.length, 1);
    like(h[0].reactions[0], { emoji: '❤️', count: 1, mine: true });
  });

  test('a client away while 500 messages are sent resumes with exactly those 500', async () => {
    const away = cl.l12;
    await barrier(away);
    const lastPos = Math.max(away.synced.pos, ...away.log.filter((m) => typeof m.pos === 'number').map((m) => m.pos));
    await away.close();

    const senders = ['l01', 'l02', 'l03', 'l04'];
    const replies = await Promise.all(
      senders.flatMap((h) =>
        Array.from({ length: 125 }, (_, k) =>
          cl[h].call('msg.send', { channel_id: general.id, text: `while away ${h} ${k}` }, { timeoutMs: 30000 }),
        ),
      ),
    );
    const acked = replies.map((r) => r.message.id).sort((a, b) => a - b);
    assert.equal(new Set(acked).size, 500);

    const back = await connectAs(server, tok.l12.token);
    cl.l12 = back;
    const events = [];
    let since = lastPos;
    let calls = 0;
    for (;;) {
      const r = await back.call('sync', { since });
      calls++;
      assert.equal(r.gap, false, 'the position is known: no gap');
      events.push(...r.events);
      if (!r.more) break;
      assert.ok(r.pos > since, 'a page with more moves forward');
      since = r.pos;
      assert.ok(calls < 10, 'sync ends');
    }
    const pos = events.map((e) => e.pos);
    for (let k = 1; k < pos.length; k++) assert.ok(pos[k] > pos[k - 1], 'replayed in order');
    assert.ok(pos.every((p) => p > lastPos), 'nothing from before the disconnect');
    const created = events.filter((e) => e.ev === 'msg.created').map((e) => e.data.message.id);
    assert.equal(created.length, 500, 'exactly the 500 missed messages (no duplicate)');
    assert.deepEqual(created, acked, 'the missed messages, in order, no gap');

    // And live events carry on after the replay, once each.
    const { message } = await cl.l01.call('msg.send', { channel_id: general.id, text: 'welcome back' });
    const live = await back.waitFor((m) => m.ev === 'msg.created' && m.data.message.id === message.id);
    assert.ok(live.pos > pos[pos.length - 1]);
    await barrier(back);
    assert.equal(received(back, 'msg.created', (d) => d.message.id === message.id).length, 1);
    assert.ok(!back.log.some((m) => m.ev === 'msg.created' && acked.includes(m.data.message.id)), 'no replayed message again live');
  });

  test('a client resuming while others send gets each message once, replayed or live', async () => {
    await barrier(cl.l09);
    const since = Math.max(...cl.l09.log.filter((m) => typeof m.pos === 'number').map((m) => m.pos));
    // A second device of l09, logged in, resumes in the middle of the
    // stream: 3 senders, 4 requests in flight each, 100 messages each.
    const dev = await connectAs(server, tok.l09.token);
    const acked = [];
    const sendStream = async (h) => {
      let k = 0;
      const lane = async () => {
        while (k < 100) {
          const r = await cl[h].call('msg.send', { channel_id: general.id, text: `seam ${h} ${k++}` });
          acked.push(r.message.id);
        }
      };
      await Promise.all([lane(), lane(), lane(), lane()]);
    };
    const sending = Promise.all(['l01', 'l02', 'l03'].map(sendStream));
    await Promise.race([
      eventually(() => acked.length >= 60, { timeoutMs: 30000, intervalMs: 1, what: '60 acknowledged sends' }),
      sending.then(() => assert.fail('the senders stopped too soon')),
    ]);
    try {
      const replayed = [];
      for (let pos = since; ; ) {
        const r = await dev.call('sync', { since: pos });
        replayed.push(...r.events);
        if (!r.more) break;
        pos = r.pos;
      }
      await sending;
      const isSeam = (d) => d.message.text.startsWith('seam ');
      await waitCount(dev, 'msg.created', 300 - replayed.filter((e) => e.ev === 'msg.created').length, isSeam);
      await barrier(dev);
      const live = received(dev, 'msg.created', isSeam);
      const all = [...replayed.filter((e) => e.ev === 'msg.created' && isSeam(e.data)), ...live];
      const ids = all.map((e) => e.data.message.id);
      assert.ok(replayed.length > 0 && live.length > 0, `both replayed (${replayed.length}) and live (${live.length})`);
      assert.deepEqual(ids, [...acked].sort((a, b) => a - b), 'each message once, in order, across the seam');
      const pos = all.map((e) => e.pos);
      for (let k = 1; k < pos.length; k++) assert.ok(pos[k] > pos[k - 1]);
    } finally {
      await dev.close();
    }
  });

  test('sync from a position the server never gave reports a gap', async () => {
    const c = await connectAs(server, tok.l11.token);
    try {
      const r = await c.call('sync', { since: 2 ** 50 });
      assert.equal(r.gap, true);
      assert.deepEqual(r.events, []);
      assert.equal(r.more, false);
    } finally {
      await c.close();
    }
  });

  test('a send retried with the same nonce is stored once', async () => {
    const c = cl.l03;
    const params = { channel_id: help.id, text: 'sent twice, stored once', nonce: 'retry-0001' };
    // Pipelined: the retry leaves before the first reply arrives.
    const [r1, r2] = await Promise.all([c.call('msg.send', params), c.call('msg.send', params)]);
    const r3 = await c.call('msg.send', params);
    assert.equal(r1.message.id, r2.message.id, 'both replies carry the same id');
    assert.equal(r1.message.id, r3.message.id, 'a later retry too');
    assert.equal(r1.message.nonce, 'retry-0001');
    // Another author may use the same nonce: it is theirs.
    const other = await cl.l04.call('msg.send', params);
    assert.notEqual(other.message.id, r1.message.id, 'nonces are per author');

    const all = await fullHistory(cl.l06, help.id);
    assert.equal(all.filter((m) => m.text === params.text).length, 2, 'one message per author');
    assert.equal(all.filter((m) => m.id === r1.message.id).length, 1);
    for (const x of everyone()) {
      await waitCount(x, 'msg.created', 1, (d) => d.message.id === other.message.id);
      await barrier(x);
      assert.equal(
        received(x, 'msg.created', (d) => d.message.id === r1.message.id).length,
        1,
        'the retry was not fanned out again',
      );
    }
  });

  test('a mention reaches the person named, and no one else', async () => {
    const { message } = await cl.l04.call('msg.send', {
      channel_id: general.id,
      text: 'hi @l05 and @MIRA. and @bob and @nobody',
    });
    const want = { message_id: message.id, channel_id: general.id, by: uid('l04') };
    for (const h of ['l05', 'mira']) {
      const m = await cl[h].waitFor((x) => x.ev === 'mention' && x.data.message_id === message.id);
      like(m.data, want);
      assert.equal(m.pos, undefined, 'a mention is ephemeral');
    }
    for (const h of [...hive.handles.filter((x) => x !== 'l05' && x !== 'mira'), 'bob']) {
      await barrier(cl[h]);
      assert.equal(
        cl[h].log.filter((x) => x.ev === 'mention' && x.data.message_id === message.id).length,
        0,
        `${h} is not mentioned (bob is in another hive)`,
      );
    }
    for (const h of ['l05', 'mira']) {
      await barrier(cl[h]);
      assert.equal(cl[h].log.filter((x) => x.ev === 'mention' && x.data.message_id === message.id).length, 1, 'once');
    }
  });

  test('@hive mentions every member when a mentor writes it, no one when a learner does', async () => {
    const { message: fromLearner } = await cl.l06.call('msg.send', { channel_id: general.id, text: '@hive hello all' });
    const { message: fromMentor } = await cl.mira.call('msg.send', { channel_id: general.id, text: 'hello @hive!' });
    for (const h of LEARNERS) {
      const c = cl[h];
      await c.waitFor((x) => x.ev === 'mention' && x.data.message_id === fromMentor.id);
      await barrier(c);
      assert.equal(c.log.filter((x) => x.ev === 'mention' && x.data.message_id === fromLearner.id).length, 0);
    }
    await barrier(cl.bob);
    assert.equal(cl.bob.log.filter((x) => x.ev === 'mention').length, 0, 'not another hive');
  });

  test('typing reaches the others in the hive', async () => {
    await cl.l06.call('typing', { channel_id: general.id });
    for (const h of hive.handles.filter((x) => x !== 'l06')) {
      const e = await cl[h].waitFor((x) => x.ev === 'typing' && x.data.user_id === uid('l06'));
      like(e.data, { channel_id: general.id, user_id: uid('l06') });
      assert.equal(e.pos, undefined, 'typing is ephemeral');
    }
    await barrier(cl.bob);
    assert.equal(cl.bob.log.filter((x) => x.ev === 'typing').length, 0, 'not another hive');
    await refused(cl.bob, 'typing', { channel_id: general.id }, 'not_found', 'typing in another hive');
    const meetups = await channelByName(cl.l06, hive.id, 'meetups');
    await refused(cl.l06, 'typing', { channel_id: meetups.id }, 'read_only', 'typing where one cannot post');
  });

  test('typing is not echoed to the typist', async () => {
    await cl.l07.call('typing', { channel_id: general.id });
    await cl.l08.waitFor((x) => x.ev === 'typing' && x.data.user_id === uid('l07'));
    await barrier(cl.l07);
    assert.equal(
      cl.l07.log.filter((x) => x.ev === 'typing' && x.data.user_id === uid('l07')).length,
      0,
      'chat.h: typing is "an ephemeral event to the others"; the typist got its own',
    );
  });

  test('read.mark moves the read marker forward, and channel.list counts unread messages', async () => {
    const { channel } = await cl.mira.call('channel.create', { hive_id: hive.id, name: 'reading', topic: 'Books' });
    assert.equal(channel.name, 'reading');
    assert.equal(channel.kind, 'chat');
    for (const c of everyone()) {
      const e = await c.waitFor((m) => m.ev === 'channel.created' && m.data.channel.id === channel.id);
      assert.equal(e.data.channel.topic, 'Books');
    }
    const sent = [];
    for (const text of ['one', 'two', 'three']) sent.push((await cl.mira.call('msg.send', { channel_id: channel.id, text })).message);
    const mine = (await cl.l07.call('msg.send', { channel_id: channel.id, text: 'four' })).message;

    const unread = async (h) => (await channelByName(cl[h], hive.id, 'reading'));
    assert.deepEqual(
      [(await unread('l08')).unread, (await unread('l08')).last_read_id],
      [4, 0],
      'everything is unread at first',
    );
    assert.equal((await unread('l07')).unread, 3, 'one\'s own messages are not unread');

    // A second device of l08 hears about the marker.
    const device2 = await chatClient(server, tok.l08.token);
    try {
      await cl.l08.call('read.mark', { channel_id: channel.id, message_id: sent[1].id });
      const e = await device2.waitFor((m) => m.ev === 'read');
      like(e.data, { channel_id: channel.id, user_id: uid('l08'), message_id: sent[1].id });
    } finally {
      await device2.close();
    }
    let ch = await unread('l08');
    assert.equal(ch.last_read_id, sent[1].id);
    assert.equal(ch.unread, 2);

    await cl.l08.call('read.mark', { channel_id: channel.id, message_id: sent[0].id });
    ch = await unread('l08');
    assert.equal(ch.last_read_id, sent[1].id, 'the marker never moves back');
    assert.equal(ch.unread, 2);

    const [elsewhere] = (await cl.l08.call('msg.history', { channel_id: general.id, limit: 1 })).messages;
    await refused(cl.l08, 'read.mark', { channel_id: channel.id, message_id: elsewhere.id }, 'not_found', 'a message of another channel');
    await refused(cl.bob, 'read.mark', { channel_id: channel.id, message_id: mine.id }, 'not_found', 'a channel of another hive');

    await cl.l08.call('read.mark', { channel_id: channel.id, message_id: mine.id });
    ch = await unread('l08');
    assert.deepEqual([ch.unread, ch.last_read_id], [0, mine.id]);
    assert.equal((await unread('l09')).unread, 4, 'markers are per person');

    // Deleted messages are not unread.
    await cl.mira.call('msg.delete', { message_id: sent[2].id });
    assert.equal((await unread('l09')).unread, 3);
  });

  test('every client stayed within the protocol', async () => {
    await sleep(50);
    for (const [h, c] of Object.entries(cl)) {
      assert.deepEqual(c.violations, [], `${h}: no protocol violation`);
    }
  });
});
