// app.js - the page: strings, the connection to the server, and the shell
// around what the views will show (header, connection indicator, footer).
//
// index.html holds the static markup; this module only fills in text and
// flips attributes.  Everything the page knows lives in `store`, and
// render() is the one place that writes it to the DOM.

import { Api } from './api.js';
import { loadStrings, translateTree } from './i18n.js';

const STATE_LABELS = {
  connecting: 'conn.connecting',
  connected: 'conn.connected',
  offline: 'conn.offline',
};

// The page's one piece of mutable state.
const store = {
  t: null, // translator, once the strings are loaded
  conn: 'connecting', // 'connecting' | 'connected' | 'offline'
  everConnected: false, // true once a hello has succeeded
  server: null, // the hello reply's data: { server, version, protocol, ... }
  retryAt: null, // when the next attempt starts (ms since epoch), or null
};

function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

const view = {
  status: byId('conn-status'),
  statusLabel: byId('conn-status').querySelector('.conn-label'),
  banner: byId('conn-banner'),
  bannerText: byId('conn-banner-text'),
  retry: byId('conn-retry'),
  version: byId('server-version'),
};

// Sets an element's text only when it changes, so that the live region
// announces changes and nothing else.
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function statusLabel() {
  if (store.conn === 'connecting' && store.everConnected) {
    return store.t('conn.reconnecting');
  }
  return store.t(STATE_LABELS[store.conn]);
}

function bannerText() {
  if (store.retryAt === null) return store.t('conn.trying');
  const seconds = Math.max(1, Math.ceil((store.retryAt - Date.now()) / 1000));
  return store.t('conn.retryIn', { seconds });
}

function render() {
  const { t } = store;
  view.status.dataset.state = store.conn;
  if (!t) return; // the text follows once the strings are in
  setText(view.statusLabel, statusLabel());

  const offline = store.conn === 'offline';
  view.banner.hidden = !offline;
  if (offline) setText(view.bannerText, bannerText());

  setText(view.version, store.server?.version || t('server.unknown'));
  if (store.server) {
    view.version.title = `${store.server.server} ${store.server.version}, ` +
      `protocol ${store.server.protocol}`;
  }
}

// While offline, the banner counts down to the next attempt.
let countdown = null;
function tickWhileOffline() {
  if (store.conn === 'offline' && countdown === null) {
    countdown = setInterval(render, 1000);
  } else if (store.conn !== 'offline' && countdown !== null) {
    clearInterval(countdown);
    countdown = null;
  }
}

async function main() {
  const api = new Api();

  api.on('state', (state) => {
    store.conn = state;
    store.everConnected = api.everConnected;
    store.retryAt = api.retryAt;
    tickWhileOffline();
    render();
  });
  api.on('retry', (at) => {
    store.retryAt = at;
    render();
  });
  api.on('hello', (data) => {
    store.server = data;
    render();
  });

  view.retry.addEventListener('click', () => api.retryNow());
  // Back on the network, or back to the tab: no point waiting out a timer.
  window.addEventListener('online', () => api.retryNow());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') api.retryNow();
  });

  // Connecting does not wait for the strings: both go over the network.
  const strings = loadStrings();
  api.start();
  const t = await strings;
  store.t = t;
  document.documentElement.lang = t.lang;
  translateTree(document, t);
  document.title = t('app.name');
  render();
}

main().catch((err) => {
  console.error('ruche: the page failed to start:', err);
});
