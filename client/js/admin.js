// admin.js - managing hives: create, rename, capacity, archive (admins);
// members and their roles, the waiting list, and invites with a link to
// copy (admins, and mentors for their own hives' learner invites).

import { h, avatar, replaceChildren } from './dom.js';
import { icon } from './icons.js';
import {
  field, formMessage, submitButton, errorText, checkFields,
} from './forms.js';
import { store, t } from './store.js';
import { request, reloadHives } from './session.js';
import { go } from './router.js';
import { ask, formatDate } from './messages.js';
import * as modpages from './modpages.js';

let root = null;
const state = {
  hives: null,
  error: null,
  hiveId: null,
  detail: null, // { members, invites, waitlist, error }
  lastCode: null, // { hiveId, url, invite } just created: shown once
};

export function mount(el) {
  root = el;
}

const isAdmin = () => Boolean(store.me?.admin);

export async function show(fresh) {
  // A hive's moderation pages and the supervision have their own module.
  if (store.route.page) {
    modpages.show(root, store.route, fresh);
    return;
  }
  const hiveId = store.route.hiveId ?? null;
  if (fresh || hiveId !== state.hiveId) {
    state.hiveId = hiveId;
    state.detail = null;
    if (fresh) state.hives = null;
    render();
    await load();
  }
  render();
}

// Loads may overlap (a route change while one is under way): only the
// latest one may write the state, or an older answer could hide a hive
// that was just created.
let loads = 0;

async function load() {
  const mine = ++loads;
  try {
    const r = await request('hive.list');
    if (mine !== loads) return;
    state.hives = isAdmin() ? r.hives : r.hives.filter((x) => x.role === 'mentor');
    state.error = null;
  } catch (err) {
    state.error = err.code;
  }
  if (state.hiveId) await loadDetail();
}

async function loadDetail() {
  const hive_id = state.hiveId;
  try {
    const [members, invites, waitlist] = await Promise.all([
      request('hive.members', { hive_id }),
      request('invite.list', { hive_id }).catch(() => ({ invites: [] })),
      isAdmin() ? request('hive.waitlist', { hive_id }).catch(() => ({ waitlist: [] }))
        : Promise.resolve({ waitlist: [] }),
    ]);
    if (hive_id !== state.hiveId) return;
    state.detail = {
      members: members.members, invites: invites.invites, waitlist: waitlist.waitlist, error: null,
    };
  } catch (err) {
    state.detail = { members: [], invites: [], waitlist: [], error: err.code };
  }
}

async function refresh() {
  await load();
  render();
}

function render() {
  if (!root || store.route.name !== 'admin' || store.route.page) return;
  const focusId = document.activeElement?.id;
  const page = state.hiveId ? hivePage() : listPage();
  replaceChildren(root, page);
  if (focusId) document.getElementById(focusId)?.focus?.();
}

function section(title, intro, ...body) {
  return h('section', { class: 'card page-card' },
    h('h2', { class: 'card-title' }, title),
    intro ? h('p', { class: 'card-intro' }, intro) : null, ...body);
}

// -- Every hive ----------------------------------------------------------------

function meter(hive) {
  return h('div', { class: 'meter-wrap' },
    h('meter', {
      class: 'meter', min: 0, max: hive.capacity, value: hive.learners,
      high: Math.max(1, hive.capacity - 1), optimum: 0,
      'aria-label': store.t.n('admin.seats', hive.learners, { max: hive.capacity }),
    }),
    h('span', { class: 'meter-text' }, store.t.n('admin.seats', hive.learners, { max: hive.capacity })));
}

function listPage() {
  const hives = state.hives;
  const cards = hives === null
    ? h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') })
    : hives.length
      ? h('ul', { class: 'hive-grid' }, hives.map((x) => h('li', {},
        h('a', { class: ['card', 'hive-card', x.archived && 'hive-card-archived'], href: `#/admin/h/${x.id}` },
          h('div', { class: 'hive-card-top' },
            h('span', { class: `hive-badge hive-c${x.id % 6}`, 'aria-hidden': 'true' }, [...x.name][0].toUpperCase()),
            h('div', { class: 'hive-card-title' },
              h('h3', { class: 'hive-card-name' }, x.name),
              h('p', { class: 'hive-card-meta' },
                store.t.n('admin.mentors', x.mentors),
                x.archived ? h('span', { class: 'tag tag-muted' }, t('admin.archived')) : null))),
          x.description ? h('p', { class: 'hive-card-desc' }, x.description) : null,
          meter(x)))))
      : h('p', { class: 'panel-note' }, t('admin.noHives'));
  return h('div', { class: 'page page-wide', 'aria-labelledby': 'admin-title' },
    h('a', { class: 'back-link', href: '#/' }, icon('chevronLeft', { size: 16 }), t('nav.backToChat')),
    h('header', { class: 'page-head' },
      h('div', {}, h('h1', { class: 'page-title', id: 'admin-title' }, t('admin.title')),
        h('p', { class: 'page-sub' }, isAdmin() ? t('admin.intro') : t('admin.introMentor'))),
      isAdmin() ? h('a', { class: 'btn btn-secondary page-head-action', href: '#/admin/supervision', id: 'supervision-link' },
        icon('users', { size: 16 }), h('span', {}, t('sup.title'))) : null),
    state.error ? h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, errorText(state.error)) : null,
    cards,
    isAdmin() ? section(t('admin.newHive'), t('admin.newHiveIntro'), hiveForm()) : null);
}

function hiveForm(hive = null) {
  const name = field({ name: 'name', label: t('admin.hiveName'), value: hive?.name || '', maxlength: 64 });
  const desc = field({
    name: 'description', label: t('admin.hiveDesc'), type: 'textarea', value: hive?.description || '',
    required: false, maxlength: 500,
  });
  const cap = field({
    name: 'capacity', label: t('admin.capacity'), type: 'number', value: String(hive?.capacity ?? 12),
    min: 1, max: 1000, inputmode: 'numeric', hint: t('admin.capacityHint'),
  });
  const msg = formMessage();
  const btn = submitButton(hive ? t('action.save') : t('admin.create'), { wide: false });
  const form = h('form', { class: 'form form-grid', novalidate: true }, msg.el, name.el, cap.el, desc.el,
    h('div', { class: 'form-actions' }, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    const ok = checkFields([
      [name, (v) => (v.trim() ? null : t('check.name.empty'))],
      [cap, (v) => (/^\d+$/.test(v) && Number(v) >= 1 ? null : t('admin.capacityBad'))],
    ]);
    if (!ok) return;
    btn.busy(true);
    const params = {
      name: name.value().trim(), description: desc.value().trim(), capacity: Number(cap.value()),
    };
    try {
      if (hive) {
        await request('hive.update', { hive_id: hive.id, ...params });
        msg.set(t('profile.saved'), 'ok');
        await load();
        await reloadHives().catch(() => {});
      } else {
        const r = await request('hive.create', params);
        await reloadHives().catch(() => {});
        go(`#/admin/h/${r.hive.id}`);
      }
    } catch (err) {
      if (err.code === 'invalid_param' && hive && params.capacity < hive.learners) {
        cap.setError(t('admin.capacityBelow', { n: hive.learners }));
      } else if (err.code === 'invalid_param') {
        cap.setError(t('admin.capacityBad'));
      } else if (err.code === 'already_exists') {
        name.setError(t('admin.nameTaken'));
      } else {
        msg.set(errorText(err.code));
      }
    } finally {
      btn.busy(false);
    }
    if (hive) render();
  });
  return form;
}

// -- One hive --------------------------------------------------------------------

function hivePage() {
  const hive = state.hives?.find((x) => x.id === state.hiveId);
  const back = h('a', { class: 'back-link', href: '#/admin' }, icon('chevronLeft', { size: 16 }), t('admin.allHives'));
  if (!hive) {
    return h('div', { class: 'page page-wide' }, back,
      state.hives === null
        ? h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') })
        : h('p', { class: 'panel-note' }, t('error.not_found')));
  }
  const d = state.detail;
  return h('div', { class: 'page page-wide', 'aria-labelledby': 'admin-title' }, back,
    h('header', { class: 'page-head' },
      h('span', { class: `hive-badge hive-badge-l hive-c${hive.id % 6}`, 'aria-hidden': 'true' }, [...hive.name][0].toUpperCase()),
      h('div', {},
        h('h1', { class: 'page-title', id: 'admin-title' }, hive.name,
          hive.archived ? h('span', { class: 'tag tag-muted' }, t('admin.archived')) : null),
        meter(hive))),
    d?.error ? h('p', { class: 'form-msg', role: 'alert', dataset: { kind: 'error' } }, errorText(d.error)) : null,
    modpages.hiveLinks(hive),
    hive.archived ? null : section(t('admin.invites'), t('admin.invitesIntro'), inviteForm(hive), lastCode(hive)),
    d ? inviteList(hive, d.invites) : null,
    d ? membersSection(hive, d.members) : h('div', { class: 'spinner', role: 'status', 'aria-label': t('loading') }),
    d && isAdmin() && d.waitlist.length ? waitlistSection(hive, d.waitlist) : null,
    isAdmin() && !hive.archived ? section(t('admin.settings'), null, hiveForm(hive)) : null,
    isAdmin() && !hive.archived ? section(t('admin.archive'), t('admin.archiveIntro'),
      h('button', {
        class: 'btn btn-danger', type: 'button',
        onclick: async () => {
          const ok = await ask({
            heading: t('admin.archiveTitle', { name: hive.name }),
            body: t('admin.archiveBody'), confirm: t('admin.archive'),
          });
          if (!ok) return;
          try {
            await request('hive.archive', { hive_id: hive.id });
          } catch (err) {
            console.warn('ruche: archive:', err.code);
          }
          await refresh();
        },
      }, icon('archive', { size: 16 }), h('span', {}, t('admin.archive')))) : null);
}

const EXPIRIES = [
  ['3600', 'admin.expiry.hour'], ['86400', 'admin.expiry.day'],
  ['604800', 'admin.expiry.week'], ['2592000', 'admin.expiry.month'],
];

function inviteForm(hive) {
  const role = field({
    name: 'role', label: t('admin.role'), value: 'learner',
    options: (isAdmin() ? ['learner', 'mentor'] : ['learner']).map((r) => [r, t(`role.${r}`)]),
  });
  const uses = field({
    name: 'max_uses', label: t('admin.uses'), type: 'number', value: '1', min: 1, max: 1000,
    inputmode: 'numeric',
  });
  const expiry = field({
    name: 'expires', label: t('admin.expires'), value: '604800',
    options: EXPIRIES.map(([v, k]) => [v, t(k)]),
  });
  const msg = formMessage();
  const btn = submitButton(t('admin.createInvite'), { wide: false });
  const form = h('form', { class: 'form form-row', novalidate: true, id: 'invite-form' },
    msg.el, role.el, uses.el, expiry.el, h('div', { class: 'form-actions' }, btn));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    msg.set(null);
    if (!checkFields([[uses, (v) => (/^\d+$/.test(v) && v >= 1 && v <= 1000 ? null : t('admin.usesBad'))]])) return;
    btn.busy(true);
    try {
      const r = await request('invite.create', {
        hive_id: hive.id, role: role.value(), max_uses: Number(uses.value()),
        expires_in_s: Number(expiry.value()),
      });
      state.lastCode = {
        hiveId: hive.id, invite: r.invite,
        url: `${location.origin}${location.pathname}#/invite/${r.code}`,
      };
      await loadDetail();
    } catch (err) {
      msg.set(errorText(err.code));
    } finally {
      btn.busy(false);
    }
    render();
    document.getElementById('invite-link')?.select();
  });
  return form;
}

function lastCode(hive) {
  const c = state.lastCode;
  if (!c || c.hiveId !== hive.id) return null;
  const input = h('input', {
    class: 'input input-mono', id: 'invite-link', readonly: true, value: c.url,
    'aria-label': t('admin.inviteLink'), onfocus: (e) => e.target.select(),
  });
  const copied = h('span', { class: 'copy-done', role: 'status' });
  const copy = h('button', {
    class: 'btn btn-primary', type: 'button', id: 'copy-invite',
    onclick: async () => {
      input.select();
      try {
        await navigator.clipboard.writeText(c.url);
        copied.textContent = t('admin.copied');
      } catch {
        copied.textContent = t('admin.copyManually');
      }
    },
  }, icon('copy', { size: 16 }), h('span', {}, t('admin.copy')));
  return h('div', { class: 'invite-result' },
    h('p', { class: 'invite-result-title' }, icon('link', { size: 16 }),
      store.t.n('admin.inviteReady', c.invite.max_uses, { role: t(`roleLower.${c.invite.role}`) })),
    h('div', { class: 'copy-row' }, input, copy),
    h('p', { class: 'field-hint' }, t('admin.inviteOnce'), ' ', copied));
}

function inviteList(hive, invites) {
  if (!invites.length) return null;
  const sorted = [...invites].sort((a, b) => b.created_at - a.created_at);
  return section(t('admin.inviteList'), null, h('ul', { class: 'rows' }, sorted.map((inv) => h('li', { class: 'row' },
    h('span', { class: `tag tag-${inv.state}` }, t(`admin.state.${inv.state}`)),
    h('span', { class: 'row-main' },
      h('span', { class: 'row-title' }, t(`role.${inv.role}`)),
      h('span', { class: 'row-sub' },
        t('admin.usesOf', { n: inv.uses, max: inv.max_uses }), ' · ',
        inv.state === 'expired' ? t('admin.expiredOn', { date: formatDate(inv.expires_at) })
          : t('admin.expiresOn', { date: formatDate(inv.expires_at) }))),
    inv.state === 'active' ? h('button', {
      class: 'btn btn-quiet btn-s', type: 'button',
      onclick: async () => {
        try {
          await request('invite.revoke', { invite_id: inv.id });
        } catch (err) {
          console.warn('ruche: revoke:', err.code);
        }
        if (state.lastCode?.invite.id === inv.id) state.lastCode = null;
        await loadDetail();
        render();
      },
    }, t('admin.revoke')) : null))));
}

function membersSection(hive, members) {
  const sorted = [...members].sort((a, b) => (a.role === b.role ? a.display_name.localeCompare(b.display_name)
    : a.role === 'mentor' ? -1 : 1));
  let add = null;
  if (isAdmin() && !hive.archived) {
    const handle = field({
      name: 'handle', label: t('field.handle'), autocapitalize: 'none', spellcheck: 'false',
    });
    const role = field({
      name: 'role', label: t('admin.role'), value: 'learner',
      options: ['learner', 'mentor'].map((r) => [r, t(`role.${r}`)]),
    });
    const msg = formMessage();
    const btn = submitButton(t('admin.addMember'), { wide: false, kind: 'secondary' });
    add = h('form', { class: 'form form-row', novalidate: true }, msg.el, handle.el, role.el,
      h('div', { class: 'form-actions' }, btn));
    add.addEventListener('submit', async (e) => {
      e.preventDefault();
      msg.set(null);
      if (!checkFields([[handle, (v) => (v.trim() ? null : t('check.handle.empty'))]])) return;
      btn.busy(true);
      try {
        await request('hive.add_member', {
          hive_id: hive.id, handle: handle.value().trim().replace(/^@/, ''), role: role.value(),
        });
        await refresh();
        if (handle.value().trim().replace(/^@/, '').toLowerCase() === store.me.handle) {
          await reloadHives().catch(() => {});
        }
      } catch (err) {
        btn.busy(false);
        if (err.code === 'not_found') handle.setError(t('admin.noSuchUser'));
        else msg.set(errorText(err.code));
      }
    });
  }
  return section(store.t.n('admin.members', members.length), null,
    sorted.length ? h('ul', { class: 'rows' }, sorted.map((m) => h('li', { class: 'row' },
      avatar({ id: m.user_id, display_name: m.display_name }, { size: 's' }),
      h('span', { class: 'row-main' },
        h('span', { class: 'row-title' }, m.display_name),
        h('span', { class: 'row-sub' }, `@${m.handle}`, m.since ? ` · ${t('admin.since', { date: formatDate(m.since) })}` : '')),
      h('span', { class: `tag tag-${m.role}` }, t(`role.${m.role}`)),
      isAdmin() ? h('button', {
        class: 'btn btn-quiet btn-s', type: 'button',
        'aria-label': t('admin.removeLabel', { name: m.display_name }),
        onclick: async () => {
          const ok = await ask({
            heading: t('admin.removeTitle', { name: m.display_name }),
            body: t('admin.removeBody', { hive: hive.name }), confirm: t('admin.remove'),
          });
          if (!ok) return;
          try {
            await request('hive.remove_member', { hive_id: hive.id, user_id: m.user_id });
          } catch (err) {
            console.warn('ruche: remove:', err.code);
          }
          await refresh();
        },
      }, t('admin.remove')) : null)))
      : h('p', { class: 'panel-note' }, t('admin.noMembers')),
    add);
}

function waitlistSection(hive, list) {
  return section(t('admin.waitlist'), t('admin.waitlistIntro'), h('ul', { class: 'rows' }, list.map((m) => h('li', { class: 'row' },
    avatar({ id: m.user_id, display_name: m.display_name }, { size: 's' }),
    h('span', { class: 'row-main' },
      h('span', { class: 'row-title' }, m.display_name),
      h('span', { class: 'row-sub' }, `@${m.handle}`)),
    h('button', {
      class: 'btn btn-secondary btn-s', type: 'button',
      onclick: async () => {
        try {
          await request('hive.admit', { hive_id: hive.id, user_id: m.user_id });
        } catch (err) {
          alertError(err);
        }
        await refresh();
      },
    }, t('admin.admit'))))));
}

function alertError(err) {
  ask({ heading: t('error.title'), body: errorText(err.code), confirm: t('action.ok') });
}
