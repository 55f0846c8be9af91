// Who may do what: every operation of the protocol, tried as an anonymous
// client, a learner of hive A, the mentor of another hive (B), the mentor
// of A and an admin, with the exact answer each must get.  A refused
// request must change nothing: the hives, their members, waitlist and
// invites are compared before and after every row of refusals.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { runRuche, startServer } from '../lib/server.mjs';
import { connect, schema } from '../lib/client.mjs';
import { connectAs, firstAdmin, inviteCode, signup } from '../lib/api.mjs';
import { cleanEnv, stopOk } from '../lib/util.mjs';

const ROLES = ['anon', 'learner', 'mentorOther', 'mentor', 'admin'];
const WRONG = 'not the right password';

describe('authorization of every operation', () => {
  let server;
  let ctx; // { A, B, users: role -> { token, user, ws }, anon, adminLink }
  let scratch = 0;

  const admin = () => ctx.users.admin.ws;
  const newHive = async () => (await admin().call('hive.create', { name: `Scratch ${++scratch}` })).hive.id;
  // A hive the role's user is a member of, to leave.
  // A channel of hive A by name, and a new message of the learner there.
  const channelOf = async (name) =>
    (await admin().call('channel.list', { hive_id: ctx.A })).channels.find((c) => c.name === name).id;
  const learnerSays = async (text) =>
    (await ctx.users.learner.ws.call('msg.send', { channel_id: await channelOf('general'), text })).message.id;
  // A new scheduled message and a new reminder of the learner's.
  const learnerSchedules = async () =>
    (await ctx.users.learner.ws.call('schedule.create', {
      channel_id: await channelOf('general'), text: 'Soon', at: Date.now() + 3600e3,
    })).scheduled.id;
  const learnerReminds = async () =>
    (await ctx.users.learner.ws.call('remind.create', {
      message_id: await learnerSays('remind the learner'), at: Date.now() + 3600e3,
    })).reminder.id;
  const hiveToLeave = async (role) => {
    const id = await newHive();
    await admin().call('hive.add_member', { hive_id: id, user_id: ctx.users[role].user.id, role: 'mentor' });
    return id;
  };

  // What the admin sees of the fixture: unchanged by any refusal.
  async function snapshot() {
    const a = admin();
    return JSON.stringify([
      await a.call('hive.list'),
      await a.call('hive.members', { hive_id: ctx.A }),
      await a.call('hive.members', { hive_id: ctx.B }),
      await a.call('hive.waitlist', { hive_id: ctx.A }),
      await a.call('invite.list', {}),
    ]);
  }

  // op, params(role) (may create what the row needs), and the expected
  // answer of each role: 'ok' or an error code.  anon defaults to
  // 'unauthenticated'.
  const rows = [
    { op: 'hello', params: () => ({}), expect: { anon: 'ok', learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
    { op: 'ping', params: () => ({}), expect: { anon: 'ok', learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
    {
      op: 'auth',
      params: (role) => ({ token: role === 'anon' ? 'A'.repeat(43) : ctx.users[role].token }),
      expect: { learner: 'already_exists', mentorOther: 'already_exists', mentor: 'already_exists', admin: 'already_exists' },
    },
    { op: 'account.me', params: () => ({}), expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
    {
      op: 'account.set_name',
      params: (role) => ({ display_name: role === 'anon' ? 'Nobody' : ctx.users[role].user.display_name }),
      expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'account.set_password',
      params: () => ({ old_password: WRONG, new_password: 'a brand new passphrase' }),
      expect: { learner: 'bad_credentials', mentorOther: 'bad_credentials', mentor: 'bad_credentials', admin: 'bad_credentials' },
    },
    {
      op: 'account.delete',
      params: () => ({ password: WRONG }),
      expect: { learner: 'bad_credentials', mentorOther: 'bad_credentials', mentor: 'bad_credentials', admin: 'bad_credentials' },
    },
    { op: 'account.export', params: () => ({}), expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
    {
      op: 'hive.create',
      params: () => ({ name: `Created ${++scratch}` }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'hive.update',
      params: () => ({ hive_id: ctx.A, description: 'Hive A' }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'hive.archive',
      params: async (role) => ({ hive_id: role === 'admin' ? await newHive() : ctx.A }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'hive.list',
      params: () => ({}),
      expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' },
      // Each sees their own hives; an admin all.
      check: (role, data) => {
        const ids = data.hives.map((h) => h.id);
        const want = { learner: [ctx.A], mentor: [ctx.A], mentorOther: [ctx.B] }[role];
        if (want) assert.deepEqual(ids, want, role);
        else assert.ok(ids.includes(ctx.A) && ids.includes(ctx.B), role);
      },
    },
    {
      op: 'hive.members',
      params: () => ({ hive_id: ctx.A }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'hive.add_member',
      params: () => ({ hive_id: ctx.A, handle: 'spare', role: 'learner' }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'supervision.report',
      params: () => ({ from: 0, to: 86400000 }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'hive.set_role',
      params: () => ({ hive_id: ctx.A, user_id: ctx.users.learner.user.id, role: 'learner' }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'hive.remove_member',
      params: (role) => ({ hive_id: ctx.A, user_id: role === 'admin' ? ctx.users.spare.user.id : ctx.users.learner.user.id }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'hive.leave',
      params: async (role) => ({ hive_id: ['anon', 'mentorOther'].includes(role) ? ctx.A : await hiveToLeave(role) }),
      expect: { learner: 'ok', mentorOther: 'not_member', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'hive.waitlist',
      params: () => ({ hive_id: ctx.A }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'hive.admit',
      params: () => ({ hive_id: ctx.A, user_id: ctx.users.learner.user.id }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'not_found' },
    },
    {
      op: 'invite.create',
      params: () => ({ hive_id: ctx.A, role: 'learner' }),
      expect: { learner: 'forbidden', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'invite.create',
      what: 'a mentor invite',
      params: () => ({ hive_id: ctx.A, role: 'mentor' }),
      expect: { learner: 'forbidden', mentorOther: 'not_found', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'invite.list',
      params: () => ({ hive_id: ctx.A }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'invite.list',
      what: 'every invite',
      params: () => ({}),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
    },
    {
      op: 'invite.revoke',
      params: async () => ({
        invite_id: (await admin().call('invite.create', { hive_id: ctx.A, role: 'learner' })).invite.id,
      }),
      expect: { learner: 'forbidden', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'invite.accept',
      what: 'a first-admin link',
      params: () => ({ code: ctx.adminLink }),
      expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'forbidden' },
    },
    // Chat, in the channels of hive A (the admin is not a member of it).
    { op: 'sync', params: () => ({}), expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
    {
      op: 'channel.list',
      params: () => ({ hive_id: ctx.A }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'channel.create',
      params: () => ({ hive_id: ctx.A, name: `chan-${++scratch}` }),
      expect: { learner: 'forbidden', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'channel.update',
      params: async () => ({ channel_id: await channelOf('help'), topic: 'Questions welcome' }),
      expect: { learner: 'forbidden', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'channel.archive',
      params: async () => ({
        channel_id: (await admin().call('channel.create', { hive_id: ctx.A, name: `old-${++scratch}` })).channel.id,
      }),
      expect: { learner: 'forbidden', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'dm.open',
      what: 'with someone of their hive',
      // The admin shares no hive with anyone.
      params: (role) => ({ user_ids: [ctx.users[{ learner: 'mentor', mentorOther: 'spare' }[role] ?? 'learner'].user.id] }),
      expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'not_found' },
    },
    { op: 'dm.list', params: () => ({}), expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
    {
      op: 'msg.send',
      params: async () => ({ channel_id: await channelOf('general'), text: 'hello' }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'msg.send',
      what: 'in an announcement channel',
      params: async () => ({ channel_id: await channelOf('meetups'), text: 'hello' }),
      expect: { learner: 'read_only', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'msg.edit',
      what: "the learner's message",
      params: async () => ({ message_id: await learnerSays('to edit'), text: 'edited' }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'forbidden', admin: 'forbidden' },
    },
    {
      op: 'msg.delete',
      what: "the learner's message",
      params: async () => ({ message_id: await learnerSays('to delete') }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'forbidden', admin: 'forbidden' },
    },
    {
      op: 'msg.react',
      params: async () => ({ message_id: await learnerSays('react to me'), emoji: '👍' }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'msg.history',
      params: async () => ({ channel_id: await channelOf('general') }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    { op: 'msg.search', params: () => ({ query: 'hello' }), expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
    {
      op: 'read.mark',
      params: async () => ({ channel_id: await channelOf('general'), message_id: await learnerSays('read me') }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'typing',
      params: async () => ({ channel_id: await channelOf('general') }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'presence.list',
      params: () => ({ hive_id: ctx.A }),
      expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
    },
    {
      op: 'presence.set',
      params: () => ({ status: 'online' }),
      expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' },
    },
    // Moderation (issue 7): mentors of A and admins; the mentor of B
    // does not see hive A.  `spare` (a learner of B) is the one kicked
    // and banned from A; the learner is muted and unmuted again.
    ...(() => {
      const MOD = { learner: 'forbidden', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' };
      const uidOf = (r) => ctx.users[r].user.id;
      const quiet = (op, params) => admin().request(op, params, { check: false });
      const spareInA = async () => {
        await quiet('mod.unban', { hive_id: ctx.A, user_id: uidOf('spare') });
        await quiet('hive.add_member', { hive_id: ctx.A, user_id: uidOf('spare'), role: 'learner' });
        return { hive_id: ctx.A, user_id: uidOf('spare') };
      };
      const general = async () => ({ channel_id: await channelOf('general') });
      return [
        { op: 'mod.delete', params: async () => ({ message_id: await learnerSays('to remove') }), expect: MOD },
        { op: 'mod.mute', params: () => ({ hive_id: ctx.A, user_id: uidOf('learner'), seconds: 60 }), expect: MOD },
        {
          op: 'mod.unmute',
          params: async () => {
            await quiet('mod.mute', { hive_id: ctx.A, user_id: uidOf('learner'), seconds: 60 });
            return { hive_id: ctx.A, user_id: uidOf('learner') };
          },
          expect: MOD,
        },
        { op: 'mod.mutes', params: () => ({ hive_id: ctx.A }), expect: MOD },
        { op: 'mod.kick', params: spareInA, expect: MOD },
        { op: 'mod.ban', params: spareInA, expect: MOD },
        {
          op: 'mod.unban',
          params: async () => {
            await quiet('mod.ban', { hive_id: ctx.A, user_id: uidOf('spare') });
            return { hive_id: ctx.A, user_id: uidOf('spare') };
          },
          expect: MOD,
        },
        { op: 'mod.bans', params: () => ({ hive_id: ctx.A }), expect: MOD },
        { op: 'mod.slow_mode', params: async () => ({ ...(await general()), seconds: 0 }), expect: MOD },
        { op: 'mod.lock', params: async () => ({ ...(await general()), locked: false }), expect: MOD },
        { op: 'pin.add', params: async () => ({ message_id: await learnerSays('pin me') }), expect: MOD },
        {
          op: 'pin.remove',
          params: async () => {
            const id = await learnerSays('unpin me');
            await admin().call('pin.add', { message_id: id });
            return { message_id: id };
          },
          expect: MOD,
        },
        { op: 'pin.list', params: general, expect: { ...MOD, learner: 'ok' } },
        {
          op: 'report.create',
          params: async () => ({ message_id: await learnerSays('report me'), reason: 'testing' }),
          expect: { ...MOD, learner: 'ok' },
        },
        { op: 'report.list', params: () => ({ hive_id: ctx.A }), expect: { ...MOD, learner: 'ok' } },
        {
          op: 'report.resolve',
          params: async () => {
            const id = await learnerSays('report me too');
            const { report } = await ctx.users.learner.ws.call('report.create', { message_id: id, reason: 'testing' });
            return { report_id: report.id, outcome: 'dismissed' };
          },
          expect: MOD,
        },
        { op: 'guard.get', params: () => ({ hive_id: ctx.A }), expect: MOD },
        { op: 'guard.set', params: () => ({ hive_id: ctx.A, flood_messages: 0 }), expect: MOD },
        {
          op: 'hive.set_retention',
          params: () => ({ hive_id: ctx.A, days: 0 }),
          expect: { learner: 'forbidden', mentorOther: 'forbidden', mentor: 'forbidden', admin: 'ok' },
        },
        { op: 'audit.list', params: () => ({ hive_id: ctx.A }), expect: MOD },
      ];
    })(),
    // Meetups: mentors of the hive and admins schedule and keep the
    // library; members read and answer.
    ...(() => {
      const MOD = { learner: 'forbidden', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' };
      const READ = { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' };
      const script = JSON.stringify({
        title: 'Authz check-in',
        steps: [{ kind: 'open', title: 'News', text: 'What is new?', duration_s: 60 }],
      });
      const schedule = () => ({ hive_id: ctx.A, template_id: 'weekly-check-in', start_at: Date.now() + 2 * 86400000 });
      const meetup = async () => ({ meetup_id: (await admin().call('meetup.schedule', schedule())).meetup.id });
      const POLL = JSON.stringify({
        title: 'Authz poll',
        steps: [{ kind: 'poll', title: 'Q', text: 'Vote', duration_s: 600, question: 'Which?', options: ['a', 'b'] }],
      });
      const FEEDBACK = JSON.stringify({
        title: 'Authz feedback',
        steps: [{ kind: 'feedback', title: 'F', text: 'Tell us', duration_s: 600, question: 'Recommend it?' }],
      });
      // A meetup of hive A under way (from script, else a template).
      const started = async (text) => {
        const params = text ? { hive_id: ctx.A, script: text, start_at: Date.now() + 86400000 } : schedule();
        const id = (await admin().call('meetup.schedule', params)).meetup.id;
        await admin().call('meetup.start', { meetup_id: id });
        return { meetup_id: id };
      };
      // The role's user joins the meetup when they can.
      const joined = async (role, p) => {
        if (role === 'learner' || role === 'mentor') await ctx.users[role].ws.call('meetup.join', p);
        return p;
      };
      const saved = async () => ({
        hive_id: ctx.A,
        script_id: (await admin().call('script.save', { hive_id: ctx.A, script })).script.id,
      });
      return [
        { op: 'meetup.schedule', params: schedule, expect: MOD },
        { op: 'meetup.list', params: () => ({ hive_id: ctx.A }), expect: READ },
        { op: 'meetup.get', params: meetup, expect: READ },
        // Results: the hive's mentors and admins, not its learners; to a
        // mentor of another hive the meetup does not exist.
        { op: 'meetup.results', params: meetup, expect: MOD },
        { op: 'meetup.cancel', params: meetup, expect: MOD },
        {
          op: 'meetup.rsvp',
          params: async () => ({ ...(await meetup()), answer: 'maybe' }),
          // The admin is not a member of hive A (yet): there is nobody to answer for.
          expect: { ...READ, admin: 'not_member' },
        },
        { op: 'script.list', params: () => ({ hive_id: ctx.A }), expect: MOD },
        { op: 'script.save', params: () => ({ hive_id: ctx.A, script }), expect: MOD },
        { op: 'script.delete', params: saved, expect: MOD },
        {
          op: 'template.list',
          params: () => ({}),
          expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' },
        },
        // The runner's controls, on a meetup the admin started.
        { op: 'meetup.start', params: meetup, expect: MOD },
        { op: 'meetup.pause', params: () => started(), expect: MOD },
        {
          op: 'meetup.resume',
          params: async () => {
            const p = await started();
            await admin().call('meetup.pause', p);
            return p;
          },
          expect: MOD,
        },
        { op: 'meetup.skip', params: () => started(), expect: MOD },
        { op: 'meetup.extend', params: async () => ({ ...(await started()), seconds: 60 }), expect: MOD },
        { op: 'meetup.end', params: () => started(), expect: MOD },
        { op: 'meetup.join', params: () => started(), expect: { ...READ, admin: 'not_member' } },
        {
          op: 'meetup.leave',
          params: async (role) => joined(role, await started()),
          expect: { ...READ, admin: 'not_found' },
        },
        {
          op: 'meetup.answer',
          params: async (role) => ({ ...(await joined(role, await started(POLL))), step: 0, choices: [1] }),
          // The admin has not joined.
          expect: { ...READ, admin: 'forbidden' },
        },
        {
          op: 'meetup.feedback',
          params: async (role) => ({ ...(await joined(role, await started(FEEDBACK))), nps: 9 }),
          expect: { ...READ, admin: 'forbidden' },
        },
        // Every user has their own calendar feed; nobody logged out does.
        { op: 'ics.url', params: () => ({}), expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
        { op: 'ics.revoke', params: () => ({}), expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
        // Scheduled messages: where the caller may post; each edits only their own.
        {
          op: 'schedule.create',
          params: async () => ({ channel_id: await channelOf('general'), text: 'Later', at: Date.now() + 3600e3 }),
          expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
        },
        { op: 'schedule.list', params: () => ({}), expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
        {
          op: 'schedule.update',
          params: async () => ({ schedule_id: await learnerSchedules(), text: 'Changed' }),
          expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'not_found', admin: 'not_found' },
        },
        {
          op: 'schedule.cancel',
          params: async () => ({ schedule_id: await learnerSchedules() }),
          expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'not_found', admin: 'not_found' },
        },
        // Reminders: of any message the caller can read.
        {
          op: 'remind.create',
          params: async () => ({ message_id: await learnerSays('remind me'), at: Date.now() + 3600e3 }),
          expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
        },
        { op: 'remind.list', params: () => ({}), expect: { learner: 'ok', mentorOther: 'ok', mentor: 'ok', admin: 'ok' } },
        {
          op: 'remind.cancel',
          params: async () => ({ reminder_id: await learnerReminds() }),
          expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'not_found', admin: 'not_found' },
        },
      ];
    })(),
    // Peer pairing: members read the settings; mentors of the hive and
    // admins set it, pair now and read the history.
    ...(() => {
      const MOD = { learner: 'forbidden', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' };
      return [
        {
          op: 'pairing.get',
          params: () => ({ hive_id: ctx.A }),
          expect: { learner: 'ok', mentorOther: 'not_found', mentor: 'ok', admin: 'ok' },
        },
        { op: 'pairing.set', params: () => ({ hive_id: ctx.A, enabled: false, every_days: 14 }), expect: MOD },
        { op: 'pairing.run', params: () => ({ hive_id: ctx.A }), expect: MOD },
        { op: 'pairing.history', params: () => ({ hive_id: ctx.A, limit: 5 }), expect: MOD },
      ];
    })(),
    // Last: the mentor of B and the admin join hive A here.
    {
      op: 'invite.accept',
      what: 'a learner invite to hive A',
      params: async () => ({ code: await inviteCode(admin(), ctx.A, 'learner') }),
      expect: { learner: 'already_member', mentorOther: 'ok', mentor: 'already_member', admin: 'ok' },
    },
  ];

  before(async () => {
    server = await startServer({ env: cleanEnv() });
    const port = server.port;
    const adm = await firstAdmin(server);
    const A = (await adm.ws.call('hive.create', { name: 'Hive A', description: 'Hive A' })).hive.id;
    const B = (await adm.ws.call('hive.create', { name: 'Hive B' })).hive.id;
    const join = async (hive, role, handle) => signup(port, await inviteCode(adm.ws, hive, role), handle);
    const [mentor, learner, mentorOther, spare] = await Promise.all([
      join(A, 'mentor', 'mentor'),
      join(A, 'learner', 'learner'),
      join(B, 'mentor', 'mentor-b'),
      join(B, 'learner', 'spare'),
    ]);
    const users = { admin: adm, mentor, learner, mentorOther, spare };
    for (const r of ['mentor', 'learner', 'mentorOther']) users[r].ws = await connectAs(server, users[r].token);
    const link = await runRuche(['admin', 'invite', '--db', server.dbPath], { env: cleanEnv() });
    assert.equal(link.code, 0, link.stderr);
    ctx = { A, B, users, anon: await connect(server.wsUrl), adminLink: link.stdout.trim().split('/').pop() };
  });

  after(async () => {
    if (ctx) {
      for (const c of [ctx.anon, ...ROLES.slice(1).map((r) => ctx.users[r].ws)]) if (c && !c.closeInfo) await c.close();
    }
    await stopOk(server);
  });

  test('the table covers every operation of the protocol', () => {
    const covered = new Set(rows.map((r) => r.op));
    for (const op of schema.$defs.request.properties.op.enum) assert.ok(covered.has(op), `no row for ${op}`);
    for (const r of rows) for (const role of ROLES.slice(1)) assert.ok(r.expect[role], `${r.op}: ${role}`);
  });

  for (const row of rows) {
    const expect = { anon: 'unauthenticated', ...row.expect };
    const name = `${row.op}${row.what ? ` (${row.what})` : ''}: ${ROLES.map((r) => `${r} ${expect[r]}`).join(', ')}`;
    test(name, async () => {
      const conn = (role) => (role === 'anon' ? ctx.anon : ctx.users[role].ws);
      const refusals = ROLES.filter((r) => expect[r] !== 'ok');
      const oks = ROLES.filter((r) => expect[r] === 'ok');
      const failures = [];
      const run = async (role) => {
        const params = await row.params(role);
        const reply = await conn(role).request(row.op, params, { timeoutMs: 30000 });
        const got = reply.ok ? 'ok' : reply.error.code;
        if (got !== expect[role]) {
          failures.push(`${role}: expected ${expect[role]}, got ${got}${reply.ok ? '' : ` (${reply.error.message})`}`);
        } else if (reply.ok && row.check) {
          row.check(role, reply.data);
        }
      };
      // The refusals first, all at once, then the state must be as before.
      const params = await Promise.all(refusals.map((r) => row.params(r)));
      const before = await snapshot();
      await Promise.all(
        refusals.map(async (role, i) => {
          // Password checks queue on the workers: a slow machine needs time.
          const reply = await conn(role).request(row.op, params[i], { timeoutMs: 30000 });
          const got = reply.ok ? 'ok' : reply.error.code;
          if (got !== expect[role]) failures.push(`${role}: expected ${expect[role]}, got ${got}`);
        }),
      );
      const afterRefusals = await snapshot();
      for (const role of oks) await run(role);
      assert.deepEqual(failures, [], `${row.op} ${JSON.stringify(params)}`);
      assert.equal(afterRefusals, before, `refused ${row.op} changed nothing`);
    });
  }
});
