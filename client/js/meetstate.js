// meetstate.js - what the page knows of a hive's meetups and of the meetups
// under way, kept from meetup.list and the meetup.* events.  Views watch
// the 'meetups' topic.  No import of session.js: session.js hands the
// events here (as it does to modstate.js).

import { store, changed } from './store.js';

export const meet = {
  byId: new Map(), // meetup id -> meetup (without its script)
  live: new Map(), // meetup id -> { step, turn, breakout, results, participants, summary }
  loaded: new Set(), // hive ids whose meetup.list is in
  offset: 0, // the server's clock less the page's, ms, from the last step's start
};

// Set by the views: fn(data) for a meetup.reminder (meetroom.js shows it);
// fn(meetup) when a meetup runs again after a pause (meetroom.js asks the
// server where its turn is).
export const meetHooks = { onReminder: null, onResumed: null };

export function liveOf(id) {
  if (!meet.live.has(id)) {
    meet.live.set(id, {
      step: null, turn: null, breakout: null, results: null, participants: [], answered: null,
      feedbackSent: false,
    });
  }
  return meet.live.get(id);
}

export function putMeetup(m) {
  const old = meet.byId.get(m.id) || {};
  meet.byId.set(m.id, { ...old, ...m });
  changed('meetups');
}

// A meetup as the server sent it whole (an event, a reply): its timer
// fields are there or not at all, so old ones must not linger.  Running,
// its step_ends_at is the step's end now (after a resume or more time).
export function putWhole(m) {
  const old = meet.byId.get(m.id);
  putMeetup({ step_ends_at: undefined, paused_left_ms: undefined, ...m });
  const l = meet.live.get(m.id);
  if (l?.step && l.step.step === m.step && m.state === 'running' && m.step_ends_at) {
    l.step = { ...l.step, ends_at: m.step_ends_at };
  }
  if (old?.state === 'paused' && m.state === 'running') meetHooks.onResumed?.(m);
}

// Where a meetup under way is, from meetup.get's live (for someone who
// opens it in the middle): its step, the turn, one's own group, who is in.
export function putLive(m, live) {
  const l = liveOf(m.id);
  l.step = { ...live.step };
  l.turn = live.turn ? { ...live.turn, meetup_id: m.id, hive_id: m.hive_id, step: live.step.step } : null;
  l.breakout = live.my_group
    ? { meetup_id: m.id, hive_id: m.hive_id, step: live.step.step, prompt: live.my_group.prompt, groups: [live.my_group] }
    : (live.step.kind === 'breakout' ? l.breakout : null);
  l.participants = live.participants || [];
  changed('meetups');
}

export function hiveMeetups(hiveId) {
  return [...meet.byId.values()].filter((m) => m.hive_id === hiveId)
    .sort((a, b) => a.start_at - b.start_at);
}

// The meetup whose channel is cid, if any.
export function meetupOfChannel(cid) {
  for (const m of meet.byId.values()) if (m.channel_id === cid) return m;
  return null;
}

export function isMentor(hiveId) {
  if (store.me?.admin) return true;
  return store.hives.find((x) => x.id === hiveId)?.role === 'mentor';
}

export function onEvent(ev, d) {
  switch (ev) {
    case 'meetup.scheduled':
      return putMeetup(d.meetup);
    case 'meetup.updated':
      return putWhole(d.meetup);
    case 'meetup.rsvp': {
      const m = meet.byId.get(d.meetup_id);
      if (m) putMeetup({ ...m, rsvps: d.rsvps });
      return undefined;
    }
    case 'meetup.step': {
      const l = liveOf(d.meetup_id);
      // A step's start tells how far the server's clock is from the page's
      // (the countdowns count with it).
      if (typeof d.started_at === 'number') meet.offset = d.started_at - Date.now();
      l.back = l.step?.kind === 'breakout' && d.kind !== 'breakout';
      l.step = d;
      l.turn = null;
      if (d.kind !== 'breakout') l.breakout = null;
      if (d.kind !== 'poll') l.answered = null;
      const m = meet.byId.get(d.meetup_id);
      if (m) meet.byId.set(m.id, { ...m, step: d.step, channel_id: d.channel_id, state: 'running' });
      else meet.byId.set(d.meetup_id, { id: d.meetup_id, hive_id: d.hive_id, step: d.step, channel_id: d.channel_id, state: 'running', title: '', start_at: d.started_at, rsvps: { going: 0, maybe: 0, no: 0 } });
      return changed('meetups');
    }
    case 'meetup.turn':
      liveOf(d.meetup_id).turn = d;
      return changed('meetups');
    case 'meetup.breakout':
      liveOf(d.meetup_id).breakout = d;
      liveOf(d.meetup_id).back = false;
      return changed('meetups');
    case 'meetup.poll_results':
      liveOf(d.meetup_id).results = d;
      return changed('meetups');
    case 'meetup.participants':
      liveOf(d.meetup_id).participants = d.user_ids;
      return changed('meetups');
    case 'meetup.reminder':
      return meetHooks.onReminder?.(d);
    default:
      return undefined;
  }
}
