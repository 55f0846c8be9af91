// Issue 4's rules through the real server: every refusal with its code
// and nothing changed, history paging, search, direct conversations,
// threads, and channel management.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startServer } from '../lib/server.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';
import {
  addMember,
  barrier,
  channelByName,
  chatClient,
  fullHistory,
  like,
  loginAll,
  makeHive,
  received,
  refused,
} from '../lib/chat-setup.mjs';

describe('chat rules', { timeout: 120000 }, () => {
  let server;
  let A; // mira (mentor), ann, ben, cat, dan (learners), eve (also in B)
  let B; // olga (mentor), bob, eve (learners)
  let tok;
  const cl = {};
  const ch = {}; // 'A.general', 'B.general', ...
  const uid = (h) => tok[h].user.id;

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    [A, B] = await Promise.all([
      makeHive(server, 'Hive A', { mentors: ['mira'], learners: ['ann', 'ben', 'cat', 'dan', 'eve'] }),
      makeHive(server, 'Hive B', { mentors: ['olga'], learners: ['bob'] }),
    ]);
    await addMember(server, B.id, 'eve', 'learner');
    const all = [...A.handles, 'olga', 'bob'];
    tok = await loginAll(server, all);
    await Promise.all(all.map(async (h) => (cl[h] = await chatClient(server, tok[h].token))));
    for (const [hive, key] of [[A, 'A'], [B, 'B']]) {
      const c = key === 'A' ? cl.mira : cl.olga;
      for (const x of (await c.call('channel.list', { hive_id: hive.id })).channels) ch[`${key}.${x.name}`] = x;
    }
  });

  after(async () => {
    for (const c of Object.values(cl)) if (!c.closeInfo) await c.close();
    await stopOk(server);
  });

  // Runs fn, then checks the channel's history is what it was.
  async function unchanged(c, channelId, fn) {
    const before = await fullHistory(c, channelId);
    await fn();
    assert.deepEqual(await fullHistory(c, channelId), before, 'history unchanged');
  }

  test('a new hive has general, help and meetups (announcements)', async () => {
    const { channels } = await cl.ann.call('channel.list', { hive_id: A.id });
    assert.deepEqual(
      channels.map((x) => [x.name, x.kind, x.archived, x.hive_id]),
      [
        ['general', 'chat', false, A.id],
        ['help', 'chat', false, A.id],
        ['meetups', 'announce', false, A.id],
      ],
    );
    await refused(cl.ann, 'channel.list', { hive_id: B.id }, 'not_found', 'the channels of another hive');
  });

  test('empty or white-space text is refused with empty_text', async () => {
    const g = ch['A.general'].id;
    await unchanged(cl.ann, g, async () => {
      await refused(cl.ann, 'msg.send', { channel_id: g, text: '' }, 'empty_text');
      await refused(cl.ann, 'msg.send', { channel_id: g, text: '  \n\t  ' }, 'empty_text');
    });
    const { message } = await cl.ann.call('msg.send', { channel_id: g, text: 'keep me' });
    await unchanged(cl.ann, g, () => refused(cl.ann, 'msg.edit', { message_id: message.id, text: ' \n ' }, 'empty_text', 'an empty edit'));
  });

  test('text over 4000 characters is refused with too_large; 4000 is fine', async () => {
    const g = ch['A.general'].id;
    await unchanged(cl.ann, g, async () => {
      await refused(cl.ann, 'msg.send', { channel_id: g, text: 'x'.repeat(4001) }, 'too_large');
      await refused(cl.ann, 'msg.send', { channel_id: g, text: '🐝'.repeat(4001) }, 'too_large', '4001 emoji');
    });
    // Characters, not bytes, and counted after trimming.
    const a = await cl.ann.call('msg.send', { channel_id: g, text: `  ${'x'.repeat(4000)}\n ` });
    assert.equal(a.message.text.length, 4000);
    const b = await cl.ann.call('msg.send', { channel_id: g, text: 'é'.repeat(4000) });
    assert.equal([...b.message.text].length, 4000);
    const c = await cl.ann.call('msg.send', { channel_id: g, text: '🐝'.repeat(4000) });
    assert.equal([...c.message.text].length, 4000);
    await unchanged(cl.ann, g, () =>
      refused(cl.ann, 'msg.edit', { message_id: a.message.id, text: 'y'.repeat(4001) }, 'too_large', 'an edit too long'),
    );
  });

  test('a channel of another hive is not found, for every operation', async () => {
    const bg = ch['B.general'].id;
    const { message } = await cl.bob.call('msg.send', { channel_id: bg, text: 'hive B only' });
    await unchanged(cl.bob, bg, async () => {
      await refused(cl.ann, 'msg.send', { channel_id: bg, text: 'hello B' }, 'not_found');
      await refused(cl.ann, 'msg.history', { channel_id: bg }, 'not_found');
      await refused(cl.ann, 'msg.edit', { message_id: message.id, text: 'x' }, 'not_found', 'edit in another hive');
      await refused(cl.ann, 'msg.delete', { message_id: message.id }, 'not_found', 'delete in another hive');
      await refused(cl.ann, 'msg.react', { message_id: message.id, emoji: '👍' }, 'not_found', 'react in another hive');
      await refused(cl.ann, 'read.mark', { channel_id: bg, message_id: message.id }, 'not_found');
      await refused(cl.mira, 'channel.update', { channel_id: bg, topic: 'mine' }, 'not_found', 'a mentor of another hive');
      await refused(cl.mira, 'channel.archive', { channel_id: bg }, 'not_found');
      await refused(cl.mira, 'channel.create', { hive_id: B.id, name: 'intrude' }, 'not_found');
      await refused(cl.ann, 'msg.send', { channel_id: 2 ** 50, text: 'nowhere' }, 'not_found', 'a channel that does not exist');
    });
    // A message of another channel cannot be quoted nor threaded.
    const g = ch['A.general'].id;
    await unchanged(cl.ann, g, async () => {
      await refused(cl.eve, 'msg.send', { channel_id: g, text: 'quote', reply_to: message.id }, 'not_found', 'reply_to elsewhere');
      await refused(cl.eve, 'msg.send', { channel_id: g, text: 'thread', thread_id: message.id }, 'not_found', 'thread_id elsewhere');
    });
  });

  test('only mentors post in an announcement channel', async () => {
    const m = ch['A.meetups'].id;
    await unchanged(cl.ann, m, () => refused(cl.ann, 'msg.send', { channel_id: m, text: 'may I?' }, 'read_only'));
    const { message } = await cl.mira.call('msg.send', { channel_id: m, text: 'Meetup on Friday' });
    const e = await cl.ann.waitFor((x) => x.ev === 'msg.created' && x.data.message.id === message.id);
    assert.equal(e.data.message.text, 'Meetup on Friday');
    // Learners may still react to it.
    await cl.ann.call('msg.react', { message_id: message.id, emoji: '🎉' });
  });

  test("editing or deleting someone else's message is forbidden", async () => {
    const g = ch['A.general'].id;
    const { message } = await cl.ann.call('msg.send', { channel_id: g, text: 'ann wrote this' });
    await unchanged(cl.ann, g, async () => {
      await refused(cl.ben, 'msg.edit', { message_id: message.id, text: 'ben was here' }, 'forbidden');
      await refused(cl.ben, 'msg.delete', { message_id: message.id }, 'forbidden');
      await refused(cl.mira, 'msg.edit', { message_id: message.id, text: 'the mentor neither' }, 'forbidden');
      await refused(cl.ann, 'msg.edit', { message_id: 2 ** 50, text: 'x' }, 'not_found', 'no such message');
    });
  });

  test('a reaction is exactly one emoji', async () => {
    const g = ch['A.general'].id;
    const { message } = await cl.ann.call('msg.send', { channel_id: g, text: 'react to me' });
    await unchanged(cl.ann, g, async () => {
      for (const emoji of ['ok', '👍👍', 'a👍', '👍 ', '1', '🇫', '\u200d']) {
        await refused(cl.ben, 'msg.react', { message_id: message.id, emoji }, 'bad_emoji', `reaction ${JSON.stringify(emoji)}`);
      }
    });
    const good = ['👍', '👍🏽', '👨‍👩‍👧', '🇫🇷', '1️⃣', '❤️'];
    for (const emoji of good) await cl.ben.call('msg.react', { message_id: message.id, emoji });
    const h = (await cl.ben.call('msg.history', { channel_id: g, around: message.id, limit: 1 })).messages[0];
    assert.deepEqual(h.reactions.map((r) => r.emoji), good);
  });

  test('a deleted message cannot be edited, reacted to or deleted again', async () => {
    const g = ch['A.general'].id;
    const { message } = await cl.ann.call('msg.send', { channel_id: g, text: 'soon gone' });
    await cl.ben.call('msg.react', { message_id: message.id, emoji: '👀' });
    await cl.ann.call('msg.delete', { message_id: message.id });
    await unchanged(cl.ann, g, async () => {
      await refused(cl.ann, 'msg.edit', { message_id: message.id, text: 'back' }, 'message_deleted');
      await refused(cl.ben, 'msg.react', { message_id: message.id, emoji: '👍' }, 'message_deleted');
      await refused(cl.ann, 'msg.delete', { message_id: message.id }, 'message_deleted');
    });
    const h = (await cl.ben.call('msg.history', { channel_id: g, around: message.id, limit: 1 })).messages[0];
    assert.equal(h.deleted, true);
    assert.equal(h.text, '');
  });

  test('an archived channel refuses every change, and stays readable', async () => {
    await refused(cl.ann, 'channel.create', { hive_id: A.id, name: 'learners' }, 'forbidden', 'a learner creating a channel');
    const { channel } = await cl.mira.call('channel.create', { hive_id: A.id, name: 'Old-Stuff', kind: 'chat' });
    assert.equal(channel.name, 'old-stuff', 'channel names are lower-cased');
    await refused(cl.mira, 'channel.create', { hive_id: A.id, name: 'old-stuff' }, 'already_exists', 'a name taken');
    await refused(cl.mira, 'channel.create', { hive_id: A.id, name: 'no spaces' }, 'invalid_param');
    await refused(cl.mira, 'channel.create', { hive_id: A.id, name: 'x', kind: 'voice' }, 'invalid_param');
    const { message } = await cl.ann.call('msg.send', { channel_id: channel.id, text: 'before the archive' });

    await refused(cl.ann, 'channel.archive', { channel_id: channel.id }, 'forbidden', 'a learner archiving');
    await refused(cl.ann, 'channel.update', { channel_id: channel.id, topic: 'x' }, 'forbidden', 'a learner updating');
    await cl.mira.call('channel.archive', { channel_id: channel.id });
    const e = await cl.ben.waitFor((x) => x.ev === 'channel.updated' && x.data.channel.id === channel.id && x.data.channel.archived);
    assert.equal(e.data.channel.archived, true);

    await unchanged(cl.ann, channel.id, async () => {
      await refused(cl.ann, 'msg.send', { channel_id: channel.id, text: 'after' }, 'channel_archived');
      await refused(cl.mira, 'msg.send', { channel_id: channel.id, text: 'after' }, 'channel_archived', 'even the mentor');
      await refused(cl.ann, 'msg.edit', { message_id: message.id, text: 'changed' }, 'channel_archived');
      await refused(cl.ann, 'msg.delete', { message_id: message.id }, 'channel_archived');
      await refused(cl.ben, 'msg.react', { message_id: message.id, emoji: '👍' }, 'channel_archived');
      await refused(cl.ann, 'typing', { channel_id: channel.id }, 'channel_archived');
      await refused(cl.mira, 'channel.update', { channel_id: channel.id, topic: 'x' }, 'channel_archived');
      await refused(cl.mira, 'channel.archive', { channel_id: channel.id }, 'channel_archived', 'archiving twice');
    });
    const listed = await channelByName(cl.ann, A.id, 'old-stuff');
    assert.equal(listed.archived, true);
    assert.equal((await cl.ann.call('msg.history', { channel_id: channel.id })).messages.length, 1);
  });

  test('a mentor updates a channel, and everyone hears of it', async () => {
    const help = ch['A.help'].id;
    const { channel } = await cl.mira.call('channel.update', { channel_id: help, topic: 'Questions welcome', position: 7 });
    assert.deepEqual([channel.name, channel.topic, channel.position], ['help', 'Questions welcome', 7]);
    for (const h of ['ann', 'dan', 'eve']) {
      const e = await cl[h].waitFor((x) => x.ev === 'channel.updated' && x.data.channel.id === help);
      assert.equal(e.data.channel.topic, 'Questions welcome');
    }
    await barrier(cl.bob);
    assert.equal(received(cl.bob, 'channel.updated').length, 0, 'not another hive');
    await refused(cl.mira, 'channel.update', { channel_id: help, name: 'general' }, 'already_exists', 'renaming onto a taken name');
  });

  test('history pages back, forward and around a message', async () => {
    const { channel } = await cl.mira.call('channel.create', { hive_id: A.id, name: 'paging' });
    const ids = [];
    for (let i = 0; i < 25; i++) ids.push((await cl.ann.call('msg.send', { channel_id: channel.id, text: `page ${i}` })).message.id);
    const page = (p) => cl.ben.call('msg.history', { channel_id: channel.id, ...p });
    const idsOf = (r) => r.messages.map((m) => m.id);

    let r = await page({ limit: 10 });
    assert.deepEqual(idsOf(r), ids.slice(15), 'the newest page, oldest first');
    assert.deepEqual([r.more_before, r.more_after], [true, false]);
    r = await page({ limit: 10, before: ids[15] });
    assert.deepEqual(idsOf(r), ids.slice(5, 15));
    assert.equal(r.more_before, true);
    r = await page({ limit: 10, before: ids[5] });
    assert.deepEqual(idsOf(r), ids.slice(0, 5));
    assert.equal(r.more_before, false);
    r = await page({ limit: 10, after: ids[4] });
    assert.deepEqual(idsOf(r), ids.slice(5, 15));
    assert.equal(r.more_after, true);
    r = await page({ limit: 10, after: ids[19] });
    assert.deepEqual(idsOf(r), ids.slice(20));
    assert.equal(r.more_after, false);

    r = await page({ limit: 5, around: ids[12] });
    const got = idsOf(r);
    assert.equal(got.length, 5);
    assert.ok(got.includes(ids[12]), 'the page holds the message jumped to');
    const at = ids.indexOf(got[0]);
    assert.deepEqual(got, ids.slice(at, at + 5), 'a run of consecutive messages, oldest first');
    assert.deepEqual([r.more_before, r.more_after], [true, true]);
    r = await page({ limit: 5, around: ids[0] });
    assert.equal(idsOf(r)[0], ids[0]);
    assert.equal(r.more_before, false);

    r = await page({});
    assert.deepEqual(idsOf(r), ids, 'the default page holds 25 messages');
    await refused(cl.ben, 'msg.history', { channel_id: channel.id, limit: 101 }, 'invalid_param', 'limit 101');
    await refused(cl.ben, 'msg.history', { channel_id: channel.id, limit: 0 }, 'invalid_param', 'limit 0');
    r = await page({ limit: 100 });
    assert.equal(r.messages.length, 25);
  });

  test('search finds words, accents or not, newest first, only where one belongs', async () => {
    const g = ch['A.general'].id;
    const m1 = (await cl.ann.call('msg.send', { channel_id: g, text: 'Le café est prêt, venez' })).message;
    const m2 = (await cl.ben.call('msg.send', { channel_id: g, text: 'un CAFE au lait pour moi' })).message;
    const gone = (await cl.ben.call('msg.send', { channel_id: g, text: 'cafe secret, deleted' })).message;
    await cl.ben.call('msg.delete', { message_id: gone.id });
    await cl.bob.call('msg.send', { channel_id: ch['B.general'].id, text: 'café in the other hive' });

    for (const query of ['cafe', 'Café', 'CAFÉ', 'caf']) {
      const { results } = await cl.dan.call('msg.search', { query });
      assert.deepEqual(results.map((x) => x.message_id), [m2.id, m1.id], `search ${query}: newest first, this hive only, no deleted`);
    }
    const { results } = await cl.dan.call('msg.search', { query: 'pret venez' });
    assert.equal(results.length, 1);
    like(results[0], { message_id: m1.id, channel_id: g, author_id: uid('ann'), created_at: m1.created_at });
    assert.match(results[0].excerpt, /caf|pr/i);
    // eve is in both hives: she finds both.
    assert.equal((await cl.eve.call('msg.search', { query: 'cafe' })).results.length, 3);
    assert.equal((await cl.bob.call('msg.search', { query: 'cafe' })).results.length, 1);
    assert.deepEqual((await cl.dan.call('msg.search', { query: 'zyxwvut' })).results, []);
    assert.equal((await cl.dan.call('msg.search', { query: 'cafe', limit: 1 })).results[0].message_id, m2.id);
    // What people type is words, never query syntax.
    for (const query of ['"café', 'cafe OR lait', 'NEAR(cafe lait)', 'body:cafe', '*', '-cafe', '(', 'a"b"c', '^cafe']) {
      const reply = await cl.dan.request('msg.search', { query });
      assert.ok(reply.ok || reply.error.code !== 'internal', `search ${JSON.stringify(query)}: ${JSON.stringify(reply)}`);
    }
  });

  test('direct conversations: only between people sharing a hive, private to them', async () => {
    // ann and bob share no hive.
    await refused(cl.ann, 'dm.open', { user_ids: [uid('bob')] }, 'not_found', 'a person of another hive');
    await refused(cl.ann, 'dm.open', { user_ids: [2 ** 50] }, 'not_found', 'no such person');
    await refused(cl.ann, 'dm.open', { user_ids: [uid('ann')] }, 'invalid_param', 'a conversation with oneself');
    await refused(cl.ann, 'dm.open', { user_ids: [] }, 'invalid_param', 'nobody');
    // eve shares hive A with ann and hive B with bob.
    const { channel: eb } = await cl.eve.call('dm.open', { user_ids: [uid('bob')] });
    assert.equal(eb.kind, 'direct');

    const { channel: pair } = await cl.ann.call('dm.open', { user_ids: [uid('ben')] });
    assert.equal(pair.kind, 'direct');
    assert.deepEqual(pair.members, [uid('ann'), uid('ben')].sort((a, b) => a - b));
    assert.equal(pair.name, undefined);
    const e = await cl.ben.waitFor((x) => x.ev === 'dm.created' && x.data.channel.id === pair.id);
    assert.deepEqual(e.data.channel.members, pair.members);
    const again = await cl.ben.call('dm.open', { user_ids: [uid('ann')] });
    assert.equal(again.channel.id, pair.id, 'the same two people: the same conversation');

    const { channel: group } = await cl.ann.call('dm.open', { user_ids: [uid('ben'), uid('cat'), uid('ben')] });
    assert.notEqual(group.id, pair.id);
    assert.equal(group.members.length, 3);
    await cl.cat.waitFor((x) => x.ev === 'dm.created' && x.data.channel.id === group.id);

    const { message } = await cl.cat.call('msg.send', { channel_id: group.id, text: 'secret plans for the trois' });
    for (const h of ['ann', 'ben', 'cat']) await cl[h].waitFor((x) => x.ev === 'msg.created' && x.data.message.id === message.id);
    for (const h of ['dan', 'mira', 'eve', 'bob']) {
      await barrier(cl[h]);
      assert.equal(received(cl[h], 'msg.created', (d) => d.message.id === message.id).length, 0, `${h} is not in the conversation`);
      assert.equal(received(cl[h], 'dm.created', (d) => d.channel.id === group.id).length, 0);
    }
    // An outsider (even the hive's mentor) cannot read nor write it.
    for (const h of ['dan', 'mira']) {
      await refused(cl[h], 'msg.history', { channel_id: group.id }, 'not_found', `${h} reading the conversation`);
      await refused(cl[h], 'msg.send', { channel_id: group.id, text: 'let me in' }, 'not_found', `${h} writing in it`);
      await refused(cl[h], 'msg.react', { message_id: message.id, emoji: '👍' }, 'not_found');
      await refused(cl[h], 'read.mark', { channel_id: group.id, message_id: message.id }, 'not_found');
      assert.deepEqual((await cl[h].call('msg.search', { query: 'secret plans' })).results, [], `${h} cannot find it`);
      assert.ok(!(await cl[h].call('dm.list')).channels.some((x) => x.id === group.id));
    }
    assert.equal((await cl.ben.call('msg.search', { query: 'secret plans' })).results[0].message_id, message.id);

    const list = (await cl.ben.call('dm.list')).channels;
    const g = list.find((x) => x.id === group.id);
    assert.ok(g, 'dm.list lists it');
    assert.equal(g.unread, 1);
    assert.ok(list.some((x) => x.id === pair.id));

    // A read receipt reaches the others of the conversation.
    await cl.ben.call('read.mark', { channel_id: group.id, message_id: message.id });
    for (const h of ['ann', 'cat']) {
      const r = await cl[h].waitFor((x) => x.ev === 'read' && x.data.channel_id === group.id);
      like(r.data, { channel_id: group.id, user_id: uid('ben'), message_id: message.id });
    }
    await barrier(cl.dan);
    assert.equal(received(cl.dan, 'read').length, 0);
    assert.equal((await cl.ben.call('dm.list')).channels.find((x) => x.id === group.id).unread, 0);
    // After a reload, dm.list says how far the others have read.
    const seen = (await cl.ann.call('dm.list')).channels.find((x) => x.id === group.id);
    assert.deepEqual(seen.reads, [{ user_id: uid('ben'), message_id: message.id }], 'cat read nothing: left out');
    assert.deepEqual((await cl.ben.call('dm.list')).channels.find((x) => x.id === group.id).reads, [],
      "ben's own marker is not among the others'");

    await refused(cl.ann, 'dm.open', { user_ids: Array.from({ length: 8 }, (_, i) => i + 1) }, 'invalid_param', '9 people');
  });

  test('a mention in a direct conversation reaches only its members', async () => {
    const { channel } = await cl.ann.call('dm.open', { user_ids: [uid('ben')] });
    const { message } = await cl.ann.call('msg.send', { channel_id: channel.id, text: 'shall we ask @ben or @dan?' });
    await cl.ben.waitFor((x) => x.ev === 'mention' && x.data.message_id === message.id);
    await barrier(cl.dan);
    assert.equal(
      cl.dan.log.filter((x) => x.ev === 'mention' && x.data.message_id === message.id).length,
      0,
      'chat.c mentions(): in a direct conversation any @handle gets a mention event, even someone not in it',
    );
  });

  test('threads: replies under a message, counted on it, listed apart', async () => {
    const g = ch['A.general'].id;
    const { message: root } = await cl.ann.call('msg.send', { channel_id: g, text: 'thread root' });
    const { message: r1 } = await cl.ben.call('msg.send', { channel_id: g, text: 'reply one', thread_id: root.id });
    assert.equal(r1.thread_id, root.id);
    const e = await cl.dan.waitFor((x) => x.ev === 'msg.created' && x.data.message.id === r1.id);
    assert.equal(e.data.message.thread_id, root.id);
    const tu = await cl.dan.waitFor((x) => x.ev === 'thread.updated' && x.data.message_id === root.id);
    assert.equal(typeof tu.pos, 'number');
    const { message: r2 } = await cl.cat.call('msg.send', { channel_id: g, text: 'reply two', thread_id: root.id, reply_to: r1.id });
    assert.equal(r2.reply_to, r1.id);
    // A reply to a reply stays in the root's thread: one level.
    const { message: r3 } = await cl.dan.call('msg.send', { channel_id: g, text: 'reply three', thread_id: r1.id });
    assert.equal(r3.thread_id, root.id);

    const main = (await cl.eve.call('msg.history', { channel_id: g, limit: 5 })).messages;
    const last = main[main.length - 1];
    assert.equal(last.id, root.id, 'replies stay out of the channel\'s history');
    assert.equal(last.reply_count, 3);
    assert.equal(last.last_reply_at, r3.created_at);
    const thread = await cl.eve.call('msg.history', { channel_id: g, thread_id: root.id });
    assert.deepEqual(thread.messages.map((m) => m.id), [r1.id, r2.id, r3.id]);
    assert.equal(thread.more_before, false);

    // Search finds replies too, and says which thread to open.
    const found = (await cl.eve.call('msg.search', { query: 'reply three' })).results;
    assert.equal(found[0].message_id, r3.id);
    assert.equal(found[0].thread_id, root.id);
    const top = (await cl.eve.call('msg.search', { query: 'thread root' })).results;
    assert.equal(top.find((x) => x.message_id === root.id).thread_id, undefined, 'a root is in no thread');
  });

  test("a thread of another hive cannot be read through one's own channel", async () => {
    const bg = ch['B.general'].id;
    const { message: root } = await cl.bob.call('msg.send', { channel_id: bg, text: 'B thread root' });
    await cl.olga.call('msg.send', { channel_id: bg, text: 'B private reply', thread_id: root.id });
    const reply = await cl.ann.request('msg.history', { channel_id: ch['A.general'].id, thread_id: root.id });
    const leaked = reply.ok ? reply.data.messages.filter((m) => m.channel_id !== ch['A.general'].id) : [];
    assert.deepEqual(
      leaked.map((m) => m.text),
      [],
      'chat_history() lists thread_id without checking it belongs to channel_id: a learner reads another hive',
    );
  });

  test('every client stayed within the protocol', () => {
    for (const [h, c] of Object.entries(cl)) assert.deepEqual(c.violations, [], `${h}: no protocol violation`);
  });
});
