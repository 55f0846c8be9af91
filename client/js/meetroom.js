// meetroom.js - the banner over a meetup's channel while it runs: the
// current step (its title and text), the time left, whose turn it is in a
// round, the breakout groups and the way to one's own, the poll and its
// results, the feedback form, the end; joining and leaving; and the
// mentor's controls.  In a breakout's direct conversation, a short banner
// with the prompt and the way back.
//
// The server's clock may differ from the page's (and moves by itself in
// tests): each step's started_at, when it arrives, tells the difference,
// and the countdown counts with it.  Someone who opens a meetup in the
// middle (or reloads) gets where it is from meetup.get's live, and the
// server's time from a ping; a pause, a resume or more time comes with
// the step's new end in meetup.updated.

import { h, replaceChildren, setText } from './dom.js';
import { icon } from './icons.js';
import { errorText } from './forms.js';
import { store, t, userName } from './store.js';
import { request } from './session.js';
import { meet, liveOf, putMeetup, putWhole, putLive, meetupOfChannel, isMentor, meetHooks } from './meetstate.js';
import { whenText } from './meetups.js';
import { toast } from './moderation.js';

let el = null;
let shownCid = null;
let ticker = null;
const asked = new Set(); // meetup ids whose meetup.get was asked
const scripts = new Map(); // meetup id -> script, from meetup.get
let problem = null; // { id, text } of the last refused action
const draft = { nps: null, comment: '', choices: new Set(), pollStep: null };

// A meetup one said going to starts soon.
meetHooks.onReminder = (d) => toast(d.minutes_before >= 60
  ? t('room.meet.reminderDay', { title: d.title, when: whenText(d.start_at) })
  : t('room.meet.reminderSoon', { title: d.title, n: d.minutes_before }), { kind: 'ok' });

function serverNow() {
  return Date.now() + meet.offset;
}

// Running again after a pause: the turn's end moved with the step's.
meetHooks.onResumed = (m) => {
  if (scripts.has(m.id)) refresh(m.id);
};

// The meetup a channel name meetup-ID points to, asked once.
function fetchMeetup(id) {
  if (asked.has(id)) return;
  asked.add(id);
  refresh(id);
}

// The meetup as the server has it now; under way, where it is (so that
// one who comes in the middle sees the step, the turn and their group).
async function refresh(id) {
  try {
    const [{ meetup }, pong] = await Promise.all([
      request('meetup.get', { meetup_id: id }), request('ping').catch(() => null),
    ]);
    if (pong && typeof pong.time === 'number') meet.offset = pong.time - Date.now();
    if (meetup.script) scripts.set(meetup.id, meetup.script);
    const { script, live, participants, ...rest } = meetup;
    if (live) putLive(rest, live);
    putWhole(rest);
  } catch {
    // Shown from the events alone.
  }
}

function breakoutOf(cid) {
  for (const [id, l] of meet.live) {
    const m = meet.byId.get(id);
    if (!l.breakout || l.step?.kind !== 'breakout' || m?.state !== 'running') continue;
    const g = l.breakout.groups.find((x) => x.channel_id === cid);
    if (g) return { m, l, g };
  }
  return null;
}

export function render(slot, ch) {
  el = slot;
  let content = null;
  if (ch && ch.kind !== 'direct') {
    const named = /^meetup-(\d+)$/.exec(ch.name || '');
    let m = meetupOfChannel(ch.id);
    if (!m && named) fetchMeetup(Number(named[1]));
    if (m && !scripts.has(m.id)) fetchMeetup(m.id);
    m = m || (named ? meet.byId.get(Number(named[1])) : null);
    if (m) content = banner(m, ch);
  } else if (ch) {
    const b = breakoutOf(ch.id);
    if (b) content = breakoutBanner(b);
  }
  if (shownCid !== ch?.id) {
    shownCid = ch?.id ?? null;
    problem = null;
  }
  // Redrawn at each event: the focus (and the caret) stay where they were.
  const active = slot.contains(document.activeElement) ? document.activeElement : null;
  const caret = active && typeof active.selectionStart === 'number' ? active.selectionStart : null;
  slot.hidden = !content;
  replaceChildren(slot, content);
  if (active?.id) {
    const again = document.getElementById(active.id);
    again?.focus({ preventScroll: true });
    if (again && caret !== null) again.setSelectionRange?.(caret, caret);
  }
  if (content && !ticker) ticker = setInterval(tick, 1000);
  if (!content && ticker) {
    clearInterval(ticker);
    ticker = null;
  }
  tick();
}

function tick() {
  for (const c of el?.querySelectorAll('.meet-countdown') || []) {
    const left = Math.max(0, Math.round((Number(c.dataset.ends) - serverNow()) / 1000));
    setText(c, t('room.meet.left', { time: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` }));
  }
}

// Who alone may post in channel cid now (a round with speaker_only where
// the reader is neither the speaker nor a mentor): their id, else null.
export function quietFor(cid) {
  const m = meetupOfChannel(cid);
  if (!m || m.state !== 'running' || isMentor(m.hive_id)) return null;
  const l = meet.live.get(m.id);
  const step = l?.step;
  if (!step || step.kind !== 'round' || step.step !== m.step) return null;
  if (!(step.speaker_only ?? scripts.get(m.id)?.steps?.[step.step]?.speaker_only)) return null;
  const speaker = l.turn && l.turn.step === step.step ? l.turn.user_id : null;
  return speaker !== null && speaker !== store.me.id ? speaker : null;
}

// The current step, from its event or else from the script.
function currentStep(m) {
  const l = meet.live.get(m.id);
  if (l?.step && l.step.step === m.step) return l.step;
  const s = scripts.get(m.id)?.steps?.[m.step];
  if (!s) return null;
  return { ...s, step: m.step, meetup_id: m.id, ends_at: m.step_ends_at || null };
}

function banner(m, ch) {
  const l = liveOf(m.id);
  const mentor = isMentor(m.hive_id);
  const joined = l.participants.includes(store.me.id);
  const step = ['running', 'paused'].includes(m.state) ? currentStep(m) : null;
  const total = scripts.get(m.id)?.steps?.length;
  return h('section', { class: ['meet-banner', `meet-banner-${m.state}`], 'aria-labelledby': 'meet-banner-title', dataset: { meetup: m.id } },
    h('div', { class: 'meet-banner-top' },
      h('p', { class: 'meet-banner-kicker' }, icon('clock', { size: 14 }),
        h('span', {}, t('room.meet.kicker', { title: m.title || '' })),
        m.state === 'paused' ? h('span', { class: 'meet-state meet-state-paused' }, t('meet.state.paused')) : null),
      ['running', 'paused'].includes(m.state) ? h('div', { class: 'meet-join' },
        h('span', { class: 'meet-people' }, store.t.n('room.meet.people', l.participants.length)),
        h('button', {
          class: ['btn', 'btn-s', joined ? 'btn-secondary' : 'btn-primary'], type: 'button', id: 'meet-join',
          onclick: () => (joined ? leave(m) : join(m)),
        }, joined ? t('room.meet.leave') : t('room.meet.join'))) : null),
    m.state === 'scheduled' ? h('p', { class: 'meet-step-text' }, t('room.meet.soon', { when: whenText(m.start_at) })) : null,
    step ? h('div', { class: 'meet-step' },
      h('h2', { class: 'meet-step-title', id: 'meet-banner-title' },
        total ? h('span', { class: 'meet-step-no' }, t('room.meet.stepOf', { n: step.step + 1, total })) : null,
        step.title),
      step.text ? h('p', { class: 'meet-step-text' }, step.text) : null,
      m.state === 'paused' ? h('p', { class: 'meet-countdown-paused' }, t('room.meet.pausedNote'))
        : (step.ends_at ? h('p', { class: 'meet-countdown', role: 'timer', 'aria-live': 'off', dataset: { ends: step.ends_at } }) : null))
      : h('h2', { class: 'sr-only', id: 'meet-banner-title' }, m.title || ''),
    step?.kind === 'round' ? roundView(m, step, l) : null,
    step?.kind === 'breakout' ? breakoutView(l) : null,
    step && step.kind !== 'breakout' && l.back ? h('p', { class: 'notice meet-back', role: 'status' }, t('room.meet.back')) : null,
    step?.kind === 'poll' ? pollView(m, step, l, joined) : null,
    l.results && (step?.kind !== 'poll' || l.results.step === step.step) ? resultsView(l.results) : null,
    step?.kind === 'feedback' ? feedbackView(m, l, joined) : null,
    m.state === 'ended' ? h('p', { class: 'notice meet-ended', role: 'status' }, icon('check', { size: 16 }), t('room.meet.ended')) : null,
    problem && problem.id === m.id ? h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, problem.text) : null,
    mentor && ['scheduled', 'running', 'paused'].includes(m.state) ? controls(m) : null);
}

function roundView(m, step, l) {
  const order = step.order || [];
  const turn = l.turn && l.turn.step === step.step ? l.turn : null;
  const speaker = turn?.user_id ?? null;
  const silenced = quietFor(m.channel_id) !== null;
  return h('div', { class: 'meet-round' },
    h('ol', { class: 'meet-order', 'aria-label': t('room.meet.order') }, order.map((id) => h('li', {
      class: ['meet-speaker', id === speaker && 'is-speaking'], 'aria-current': id === speaker ? 'true' : null,
    }, userName(id), id === store.me.id ? ` (${t('room.meet.you')})` : null))),
    turn ? h('p', { class: 'meet-turn', role: 'status' },
      speaker === store.me.id ? t('room.meet.yourTurn') : t('room.meet.turnOf', { name: userName(speaker) }),
      ' ', h('span', { class: 'meet-countdown', dataset: { ends: turn.ends_at } })) : null,
    silenced ? h('p', { class: 'meet-quiet' }, icon('lock', { size: 14 }),
      t('room.meet.speakerOnly', { name: userName(speaker) })) : null);
}

function breakoutView(l) {
  const b = l.breakout;
  if (!b) return h('p', { class: 'meet-step-text' }, t('room.meet.grouping'));
  const mine = b.groups.find((g) => g.user_ids.includes(store.me.id));
  return h('div', { class: 'meet-breakout', role: 'status' },
    b.prompt ? h('p', { class: 'meet-prompt' }, b.prompt) : null,
    mine ? h('p', {}, t('room.meet.group', {
      names: mine.user_ids.filter((id) => id !== store.me.id).map(userName).join(', ') || t('room.meet.alone'),
    })) : h('p', {}, t('room.meet.noGroup')),
    mine?.channel_id ? h('a', { class: 'btn btn-primary btn-s', id: 'meet-breakout-link', href: `#/c/${mine.channel_id}` },
      t('room.meet.toGroup')) : null);
}

function breakoutBanner({ m, l }) {
  return h('section', { class: 'meet-banner meet-banner-breakout', 'aria-labelledby': 'meet-banner-title' },
    h('p', { class: 'meet-banner-kicker' }, icon('users', { size: 14 }),
      h('span', { id: 'meet-banner-title' }, t('room.meet.inBreakout', { title: m.title || '' }))),
    l.breakout.prompt ? h('p', { class: 'meet-prompt' }, l.breakout.prompt) : null,
    l.step?.ends_at ? h('p', { class: 'meet-countdown', role: 'timer', dataset: { ends: l.step.ends_at } }) : null,
    m.channel_id ? h('a', { class: 'btn btn-secondary btn-s', href: `#/c/${m.channel_id}` }, t('room.meet.toMeetup')) : null);
}

function pollView(m, step, l, joined) {
  if (draft.pollStep !== `${m.id}:${step.step}`) {
    draft.pollStep = `${m.id}:${step.step}`;
    draft.choices = new Set();
  }
  const type = step.multiple ? 'checkbox' : 'radio';
  const done = l.answered === step.step;
  return h('form', {
    class: 'meet-poll', id: 'meet-poll', onsubmit: (e) => {
      e.preventDefault();
      answer(m, step);
    },
  },
  h('fieldset', {},
    h('legend', { class: 'meet-poll-q' }, step.question || ''),
    (step.options || []).map((o, i) => h('label', { class: 'meet-option' },
      h('input', {
        type, name: 'meet-choice', id: `meet-choice-${i}`, value: String(i), checked: draft.choices.has(i),
        onchange: (e) => {
          if (type === 'radio') draft.choices = new Set();
          if (e.target.checked) draft.choices.add(i);
          else draft.choices.delete(i);
        },
      }), h('span', {}, o)))),
  joined ? h('button', { class: 'btn btn-primary btn-s', type: 'submit', id: 'meet-poll-send' },
    done ? t('room.meet.answerAgain') : t('room.meet.answer')) : h('p', { class: 'field-hint' }, t('room.meet.joinFirst')),
  done ? h('p', { class: 'meet-done', role: 'status' }, icon('check', { size: 14 }), t('room.meet.answered')) : null);
}

function resultsView(r) {
  const total = r.counts.reduce((a, b) => a + b, 0) || 1;
  return h('div', { class: 'meet-results', id: 'meet-results' },
    h('p', { class: 'meet-poll-q' }, t('room.meet.results', { question: r.question })),
    h('ul', {}, r.options.map((o, i) => h('li', { class: 'meet-result' },
      h('span', { class: 'meet-result-label' }, o),
      h('meter', { min: 0, max: total, value: r.counts[i], 'aria-label': o }),
      h('span', { class: 'meet-count' }, String(r.counts[i]))))),
    h('p', { class: 'field-hint' }, store.t.n('room.meet.answers', r.answers)));
}

function feedbackView(m, l, joined) {
  if (!joined) return h('p', { class: 'field-hint' }, t('room.meet.joinFirst'));
  return h('form', {
    class: 'meet-feedback', id: 'meet-feedback', onsubmit: (e) => {
      e.preventDefault();
      feedback(m, l);
    },
  },
  h('fieldset', {},
    h('legend', { class: 'meet-poll-q' }, l.step?.question || t('room.meet.npsQ')),
    h('div', { class: 'meet-nps', role: 'group' }, [...Array(11).keys()].map((n) => h('button', {
      type: 'button', class: ['btn', 'btn-s', 'meet-nps-btn', draft.nps === n ? 'btn-primary' : 'btn-secondary'],
      'aria-pressed': String(draft.nps === n), dataset: { nps: n }, id: `meet-nps-${n}`,
      onclick: () => {
        draft.nps = n;
        for (const b of el.querySelectorAll('.meet-nps-btn')) {
          const on = Number(b.dataset.nps) === n;
          b.setAttribute('aria-pressed', String(on));
          b.classList.toggle('btn-primary', on);
          b.classList.toggle('btn-secondary', !on);
        }
      },
    }, String(n)))),
    h('p', { class: 'meet-nps-ends', 'aria-hidden': 'true' }, h('span', {}, t('room.meet.npsLow')), h('span', {}, t('room.meet.npsHigh')))),
  h('label', { class: 'label', for: 'meet-comment' }, t('room.meet.comment')),
  h('textarea', {
    class: 'input', id: 'meet-comment', rows: 2, maxlength: 1000, value: draft.comment,
    oninput: (e) => { draft.comment = e.target.value; },
  }),
  h('button', { class: 'btn btn-primary btn-s', type: 'submit', id: 'meet-feedback-send' }, t('room.meet.sendFeedback')),
  l.feedbackSent ? h('p', { class: 'meet-done', role: 'status' }, icon('check', { size: 14 }), t('room.meet.thanks')) : null);
}

function controls(m) {
  const b = (id, label, op, params = {}) => h('button', {
    class: 'btn btn-secondary btn-s', type: 'button', id, onclick: () => control(m, op, params),
  }, label);
  return h('div', { class: 'meet-controls', role: 'group', 'aria-label': t('room.meet.controls') },
    m.state === 'scheduled' ? b('meet-ctl-start', t('meet.startNow'), 'meetup.start') : null,
    m.state === 'running' ? b('meet-ctl-pause', t('room.meet.pause'), 'meetup.pause') : null,
    m.state === 'paused' ? b('meet-ctl-resume', t('room.meet.resume'), 'meetup.resume') : null,
    m.state !== 'scheduled' ? b('meet-ctl-skip', t('room.meet.skip'), 'meetup.skip') : null,
    m.state !== 'scheduled' ? b('meet-ctl-extend', t('room.meet.extend'), 'meetup.extend', { seconds: 300 }) : null,
    m.state !== 'scheduled' ? b('meet-ctl-end', t('room.meet.end'), 'meetup.end') : null);
}

function failed(m, err) {
  problem = { id: m.id, text: errorText(err.code) };
  if (el) render(el, store.channels.get(store.route.channelId) || null);
}

// A reply with the meetup as it is now: its step's end and who is in.
function took(m, meetup) {
  if (!meetup) return;
  const { script, participants, step_ends_at: ends, ...rest } = meetup;
  if (script) scripts.set(m.id, script);
  const l = liveOf(m.id);
  if (participants) l.participants = participants;
  if (ends && l.step && l.step.step === meetup.step) l.step = { ...l.step, ends_at: ends };
  problem = null;
  putWhole({ ...rest, step_ends_at: ends });
}

async function control(m, op, params) {
  try {
    const res = await request(op, { meetup_id: m.id, ...params });
    took(m, res.meetup);
  } catch (err) {
    failed(m, err);
  }
}

async function join(m) {
  try {
    took(m, (await request('meetup.join', { meetup_id: m.id })).meetup);
  } catch (err) {
    failed(m, err);
  }
}

async function leave(m) {
  try {
    await request('meetup.leave', { meetup_id: m.id });
    const l = liveOf(m.id);
    l.participants = l.participants.filter((id) => id !== store.me.id);
    putMeetup(meet.byId.get(m.id));
  } catch (err) {
    failed(m, err);
  }
}

async function answer(m, step) {
  if (!draft.choices.size) {
    problem = { id: m.id, text: t('room.meet.chooseFirst') };
    render(el, store.channels.get(store.route.channelId) || null);
    return;
  }
  try {
    await request('meetup.answer', { meetup_id: m.id, step: step.step, choices: [...draft.choices].sort((a, b) => a - b) });
    liveOf(m.id).answered = step.step;
    problem = null;
    putMeetup(meet.byId.get(m.id));
  } catch (err) {
    failed(m, err);
  }
}

async function feedback(m, l) {
  if (draft.nps === null) {
    problem = { id: m.id, text: t('room.meet.npsFirst') };
    render(el, store.channels.get(store.route.channelId) || null);
    return;
  }
  try {
    await request('meetup.feedback', { meetup_id: m.id, nps: draft.nps, comment: draft.comment.trim() });
    l.feedbackSent = true;
    problem = null;
    putMeetup(meet.byId.get(m.id));
  } catch (err) {
    failed(m, err);
  }
}
