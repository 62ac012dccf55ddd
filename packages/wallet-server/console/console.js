// The operator console: plain DOM code over the service's JSON API. The bearer token lives in this
// module's memory only (never a cookie, never storage), so a reload signs out and there is no
// CSRF surface. Every request goes to this origin, or to the IAM when signing in through it.
const config = JSON.parse(document.getElementById('console-config').textContent);
const API = config.api;
const main = document.querySelector('main');
const nav = document.querySelector('nav');
let token = null;
let claims = {};
let stopFeed = null;

// ---------------------------------------------------------------- helpers

/** An element: `h('td', {class: 'num'}, 'text', child)`. */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.code = problem?.code;
  }
}

async function api(method, path, body) {
  const res = await fetch(`${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    if (res.status === 401) signOut('Your session ended: sign in again.');
    throw new ApiError(res.status, data);
  }
  return data;
}

const query = (params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

const when = (iso) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');
const pill = (text) => h('span', { class: `pill ${text}` }, text);
const link = (href, text) => h('a', { href }, text);
const table = (heads, rows, attrs = {}) =>
  h(
    'table',
    attrs,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        heads.map((x) => h('th', { class: /amount|balance|points|lag|attempts|position/i.test(x) ? 'num' : null }, x)),
      ),
    ),
    h('tbody', {}, rows),
  );
const num = (v) => h('td', { class: 'num' }, v ?? '');
const errorBox = (e) => h('p', { class: 'error', role: 'alert' }, e instanceof ApiError ? `${e.code ?? e.status}: ${e.message}` : String(e.message ?? e));

let documentPaths = null;
/** Whether this service has a route (read once from its OpenAPI document). */
async function hasRoute(path) {
  if (!documentPaths) {
    const res = await fetch(`${API}/openapi.json`);
    documentPaths = res.ok ? (await res.json()).paths : {};
  }
  return Object.hasOwn(documentPaths, path);
}

/** The token's claims, for showing who is signed in and which buttons apply (the API decides). */
function decode(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(decodeURIComponent(escape(atob(part))));
  } catch {
    return {};
  }
}

function roles() {
  const path = (config.rolesClaim ?? 'roles').split('.');
  let v = claims;
  for (const p of path) v = v?.[p];
  const list = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
  if (!config.rolesClaim && typeof claims.role === 'string') list.push(claims.role);
  return list;
}
const isAdmin = () => roles().includes('admin');

/** A confirmation with a reason, in a modal dialog; resolves to the reason, or null if cancelled. */
function confirmWithReason(title, action) {
  return new Promise((resolve) => {
    const reason = h('input', { name: 'reason', required: true, maxlength: 500, 'aria-label': 'Reason' });
    const dialog = h(
      'dialog',
      {},
      h(
        'form',
        { method: 'dialog' },
        h('h3', {}, title),
        h('label', {}, 'Reason', reason),
        h(
          'div',
          { class: 'pager' },
          h('button', { value: 'confirm', class: 'danger' }, action),
          h('button', { value: 'cancel', class: 'secondary', formnovalidate: true }, 'Cancel'),
        ),
      ),
    );
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm' ? reason.value : null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// ---------------------------------------------------------------- sign-in

function signOut(message) {
  token = null;
  claims = {};
  if (stopFeed) stopFeed();
  renderSignIn(message);
}

function signedIn(jwt) {
  token = jwt;
  claims = decode(jwt);
  renderNav();
  route();
}

function renderNav() {
  const pages = [
    ['#/wallets', 'Wallets'],
    ['#/points', 'Point accounts'],
    ['#/reconciliation', 'Reconciliation'],
    ['#/dead-letters', 'Dead letters'],
    ['#/relay', 'Relay'],
    ['#/feed', 'Live feed'],
  ];
  nav.replaceChildren(
    h('h1', {}, 'GoodGo wallet'),
    ...pages.map(([href, text]) => h('a', { href, 'data-page': href.slice(2) }, text)),
    h(
      'div',
      { class: 'who' },
      `${claims.sub ?? '?'} (${roles().join(', ') || 'no role'}) `,
      h('button', { class: 'secondary', onclick: () => signOut('Signed out.') }, 'Sign out'),
    ),
  );
}

function renderSignIn(message) {
  nav.replaceChildren(h('h1', {}, 'GoodGo wallet'));
  const pasted = h('textarea', { id: 'token', 'aria-label': 'Bearer token', placeholder: 'eyJhbGciOi…' });
  const card = h(
    'section',
    { class: 'card' },
    h('h2', {}, 'Sign in'),
    message ? h('p', { class: 'muted' }, message) : null,
    config.oidc
      ? h('p', {}, h('button', { id: 'oidc-sign-in', onclick: () => oidcStart().catch((e) => card.append(errorBox(e))) }, 'Sign in with the IAM'))
      : h(
          'form',
          {
            onsubmit: (e) => {
              e.preventDefault();
              const jwt = pasted.value.trim();
              if (jwt) signedIn(jwt);
            },
          },
          h('label', {}, 'An admin (or service) bearer token', pasted),
          h('p', {}, h('button', { id: 'sign-in' }, 'Sign in')),
        ),
  );
  main.replaceChildren(card);
}

const b64url = (bytes) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const randomText = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const redirectUri = () => `${location.origin}${location.pathname}`;
const OIDC_KEY = 'goodgo-console-oidc';

async function discovery() {
  const res = await fetch(`${config.oidc.authority.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the IAM's discovery answered ${res.status}`);
  return res.json();
}

/** Authorization code with PKCE: the verifier waits in sessionStorage for the redirect back. */
async function oidcStart() {
  const meta = await discovery();
  const verifier = randomText(32);
  const challenge = b64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const state = randomText(16);
  sessionStorage.setItem(OIDC_KEY, JSON.stringify({ verifier, state }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: config.oidc.clientId,
    redirect_uri: redirectUri(),
    scope: config.oidc.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${meta.authorization_endpoint}?${q}`);
}

/** Back from the IAM with a code: exchanges it for a token. False when this is no such return. */
async function oidcFinish() {
  const params = new URLSearchParams(location.search);
  if (!config.oidc || (!params.has('code') && !params.has('error'))) return false;
  const saved = JSON.parse(sessionStorage.getItem(OIDC_KEY) ?? 'null');
  sessionStorage.removeItem(OIDC_KEY);
  history.replaceState(null, '', location.pathname);
  if (params.has('error')) throw new Error(`the IAM refused: ${params.get('error')}`);
  if (!saved || saved.state !== params.get('state')) throw new Error('the sign-in came back with a state this console did not send');
  const meta = await discovery();
  const res = await fetch(meta.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: redirectUri(),
      client_id: config.oidc.clientId,
      code_verifier: saved.verifier,
    }),
  });
  const body = await res.json();
  if (!res.ok || !body.access_token) throw new Error(`the IAM's token endpoint answered ${res.status}`);
  signedIn(body.access_token);
  return true;
}

// ---------------------------------------------------------------- pages

async function page(name, build) {
  const section = name === 'wallet' ? 'wallets' : name;
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.page === section) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${name} · GoodGo wallet console`;
  const box = h('div', { 'data-page': name });
  main.replaceChildren(box);
  try {
    await build(box);
  } catch (e) {
    box.append(errorBox(e));
  }
}

/** A paged list: `load(cursor)` returns `{items, nextCursor}`; Previous goes back through the cursors seen. */
function pager(load, render) {
  const box = h('div');
  const seen = [null];
  let at = 0;
  async function show() {
    const result = await load(seen[at]);
    const prev = h('button', { class: 'secondary', disabled: at === 0, onclick: () => ((at -= 1), show().catch((e) => box.append(errorBox(e)))) }, 'Previous');
    const next = h(
      'button',
      {
        class: 'secondary',
        disabled: !result.nextCursor,
        onclick: () => {
          seen[at + 1] = result.nextCursor;
          at += 1;
          show().catch((e) => box.append(errorBox(e)));
        },
      },
      'Next',
    );
    box.replaceChildren(render(result.items), h('div', { class: 'pager' }, prev, next, h('span', { class: 'muted' }, `page ${at + 1}`)));
  }
  return { box, show };
}

async function walletsPage(box) {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const user = h('input', { name: 'userId', value: params.get('userId') ?? '', 'aria-label': 'User' });
  const status = h(
    'select',
    { name: 'status', 'aria-label': 'Status' },
    ['', 'active', 'frozen', 'closed'].map((s) => h('option', { value: s, selected: params.get('status') === s }, s || 'any')),
  );
  const currency = h('input', { name: 'currency', value: params.get('currency') ?? '', size: 5, 'aria-label': 'Currency' });
  const results = h('div');
  const search = async () => {
    const list = pager(
      (cursor) =>
        api(
          'GET',
          `/admin/wallets${query({ userId: user.value.trim(), status: status.value, currency: currency.value.trim().toUpperCase(), limit: 20, cursor })}`,
        ),
      (items) =>
        items.length === 0
          ? h('p', { class: 'muted' }, 'No wallet matches.')
          : table(
              ['Wallet', 'User', 'Currency', 'Balance', 'Available', 'Status', 'Updated'],
              items.map((w) =>
                h(
                  'tr',
                  {},
                  h('td', {}, link(`#/wallet/${w.id}`, w.id)),
                  h('td', {}, w.userId),
                  h('td', {}, w.currency),
                  num(w.balance),
                  num(w.availableBalance),
                  h('td', {}, pill(w.status)),
                  h('td', {}, when(w.updatedAt)),
                ),
              ),
              { id: 'wallet-results' },
            ),
    );
    results.replaceChildren(list.box);
    await list.show();
  };
  box.append(
    h('h2', {}, 'Wallets'),
    h(
      'section',
      { class: 'card' },
      h(
        'form',
        {
          class: 'filters',
          onsubmit: (e) => {
            e.preventDefault();
            search().catch((err) => results.replaceChildren(errorBox(err)));
          },
        },
        h('label', {}, 'User', user),
        h('label', {}, 'Status', status),
        h('label', {}, 'Currency', currency),
        h('button', { id: 'search' }, 'Search'),
      ),
    ),
    h('section', { class: 'card' }, results),
  );
  await search();
}

/** Balance over time from the ledger (the newest rows, up to 1 000): a line drawn in SVG. */
function chart(rows) {
  const W = 800;
  const H = 180;
  const P = 28;
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No ledger rows yet.');
  const points = rows.map((r) => ({ t: Date.parse(r.createdAt), v: Number(r.balanceAfter) })).sort((a, b) => a.t - b.t);
  // Numbers only for drawing: pixel positions, never amounts anyone adds up.
  const t0 = points[0].t;
  const t1 = Math.max(points.at(-1).t, t0 + 1);
  const max = Math.max(...points.map((p) => p.v), 1);
  const x = (t) => P + ((t - t0) / (t1 - t0)) * (W - 2 * P);
  const y = (v) => H - P - (v / max) * (H - 2 * P);
  const d = points.map((p, i) => `${i === 0 ? 'M' : 'H'}${x(p.t).toFixed(1)}${i === 0 ? ` ${y(p.v).toFixed(1)}` : ` V${y(p.v).toFixed(1)}`}`).join(' ');
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', `Balance over time, ${points.length} ledger rows`);
  const el = (tag, attrs, text) => {
    const e = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (text) e.textContent = text;
    svg.append(e);
  };
  el('path', { class: 'area', d: `${d} V${H - P} H${x(points[0].t).toFixed(1)} Z` });
  el('path', { class: 'line', d });
  el('text', { x: P, y: 12 }, `max ${rows.find((r) => Number(r.balanceAfter) === max)?.balanceAfter ?? max}`);
  el('text', { x: P, y: H - 8 }, when(new Date(t0).toISOString()));
  el('text', { x: W - P, y: H - 8, 'text-anchor': 'end' }, when(new Date(t1).toISOString()));
  return svg;
}

async function walletPage(box, id) {
  const wallet = await api('GET', `/${id}`);
  const history = [];
  for (let cursor = null, i = 0; i < 5; i++) {
    const p = await api('GET', `/${id}/transactions${query({ limit: 200, cursor })}`);
    history.push(...p.items);
    if (!p.nextCursor) break;
    cursor = p.nextCursor;
  }
  const admin = isAdmin();
  const act = async (verb) => {
    const reason = await confirmWithReason(`${verb === 'freeze' ? 'Freeze' : 'Unfreeze'} wallet ${wallet.id}?`, verb === 'freeze' ? 'Freeze' : 'Unfreeze');
    if (reason === null) return;
    await api('POST', `/${id}/${verb}`, { reason });
    await route();
  };
  const figures = h(
    'div',
    { class: 'figures' },
    [
      ['Balance', wallet.balance],
      ['Held', wallet.heldAmount],
      ['Available', wallet.availableBalance],
    ].map(([k, v]) => h('div', { class: 'figure' }, h('span', {}, `${k} (${wallet.currency})`), h('b', { 'data-figure': k.toLowerCase() }, v))),
    h(
      'div',
      { class: 'figure' },
      h('span', {}, 'Status'),
      h('b', {}, pill(wallet.status)),
      admin && wallet.status === 'active'
        ? h('button', { class: 'danger', id: 'freeze', onclick: () => act('freeze').catch((e) => box.append(errorBox(e))) }, 'Freeze…')
        : null,
      admin && wallet.status === 'frozen'
        ? h('button', { id: 'unfreeze', onclick: () => act('unfreeze').catch((e) => box.append(errorBox(e))) }, 'Unfreeze…')
        : null,
    ),
  );

  const type = h(
    'select',
    { 'aria-label': 'Type' },
    ['', 'deposit', 'withdrawal', 'transfer_in', 'transfer_out', 'refund_in', 'refund_out', 'deposit_reversal'].map((t) =>
      h('option', { value: t }, t || 'any'),
    ),
  );
  const reference = h('input', { 'aria-label': 'Reference', size: 12 });
  const from = h('input', { type: 'datetime-local', 'aria-label': 'From' });
  const to = h('input', { type: 'datetime-local', 'aria-label': 'To' });
  const iso = (v) => (v ? new Date(v).toISOString() : undefined);
  const byId = new Map(history.map((r) => [r.id, r]));
  const ledger = h('div');
  const showLedger = async () => {
    const list = pager(
      (cursor) =>
        api(
          'GET',
          `/${id}/transactions${query({ limit: 20, cursor, type: type.value, reference: reference.value.trim(), from: iso(from.value), to: iso(to.value) })}`,
        ),
      (items) =>
        table(
          ['When', 'Type', 'Amount', 'Balance after', 'Reference', 'Links', 'Actor'],
          items.map((r) =>
            h(
              'tr',
              { id: `row-${r.id}` },
              h('td', {}, when(r.createdAt)),
              h('td', {}, r.type),
              num(r.amount),
              num(r.balanceAfter),
              h('td', {}, r.reference ?? ''),
              h(
                'td',
                { class: 'wrap' },
                r.refundOf ? h('span', {}, 'refund of ', link(`#/wallet/${id}?row=${r.refundOf}`, byId.get(r.refundOf)?.type ?? r.refundOf.slice(0, 8))) : null,
                history.filter((x) => x.refundOf === r.id).map((x) => h('span', {}, ' refunded by ', link(`#/wallet/${id}?row=${x.id}`, x.amount))),
                r.holdId ? h('span', {}, ` hold ${r.holdId.slice(0, 8)}`) : null,
                r.transferId ? h('span', { class: 'muted' }, ` transfer ${r.transferId.slice(0, 8)}`) : null,
              ),
              h('td', {}, r.actor ? `${r.actor.sub} (${r.actor.role})` : ''),
            ),
          ),
          { id: 'ledger' },
        ),
    );
    ledger.replaceChildren(list.box);
    await list.show();
  };

  const holdsBox = h('div');
  const holds = await api('GET', `/${id}/holds${query({ limit: 50 })}`);
  holdsBox.append(
    holds.items.length === 0
      ? h('p', { class: 'muted' }, 'No holds.')
      : table(
          ['Hold', 'Amount', 'Captured', 'Status', 'Reference', 'Expires', 'Captures'],
          holds.items.map((x) =>
            h(
              'tr',
              {},
              h('td', {}, x.id),
              num(x.amount),
              num(x.capturedAmount),
              h('td', {}, pill(x.status)),
              h('td', {}, x.reference ?? ''),
              h('td', {}, when(x.expiresAt)),
              h(
                'td',
                {},
                history.filter((r) => r.holdId === x.id).map((r) => link(`#/wallet/${id}?row=${r.id}`, `${r.type} ${r.amount}`)),
              ),
            ),
          ),
          { id: 'holds' },
        ),
  );
  // Allowances exist where the service has their routes (its OpenAPI document says).
  const allowancesBox = h('div');
  if (await hasRoute('/api/v1/wallets/{id}/allowances')) {
    const allowances = await api('GET', `/${id}/allowances${query({ limit: 50 })}`);
    allowancesBox.append(
      h('h3', {}, 'Offline allowances'),
      allowances.items.length === 0
        ? h('p', { class: 'muted' }, 'No allowances.')
        : table(
            ['Allowance', 'Till', 'Amount', 'Spent', 'Spends', 'Status', 'Spend until', 'Sales'],
            allowances.items.map((a) =>
              h(
                'tr',
                {},
                h('td', {}, a.id),
                h('td', {}, a.tillId),
                num(a.amount),
                num(a.spentAmount),
                num(a.spendCount),
                h('td', {}, pill(a.status)),
                h('td', {}, when(a.spendUntil)),
                h(
                  'td',
                  {},
                  history.filter((r) => r.allowanceId === a.id).map((r) => link(`#/wallet/${id}?row=${r.id}`, `#${r.allowanceSeq} ${r.amount}`)),
                ),
              ),
            ),
            { id: 'allowances' },
          ),
    );
  }

  box.append(
    h('h2', {}, `Wallet of ${wallet.userId} · ${wallet.currency}`),
    h('p', { class: 'muted' }, wallet.id, ' · ', link(`#/points?userId=${encodeURIComponent(wallet.userId)}`, 'point account')),
    figures,
    h('section', { class: 'card' }, h('h3', {}, 'Balance over time'), chart(history)),
    h(
      'section',
      { class: 'card' },
      h('h3', {}, 'Ledger'),
      h(
        'form',
        {
          class: 'filters',
          onsubmit: (e) => {
            e.preventDefault();
            showLedger().catch((err) => ledger.replaceChildren(errorBox(err)));
          },
        },
        h('label', {}, 'Type', type),
        h('label', {}, 'Reference', reference),
        h('label', {}, 'From', from),
        h('label', {}, 'To', to),
        h('button', { id: 'filter' }, 'Filter'),
      ),
      ledger,
    ),
    h('section', { class: 'card' }, h('h3', {}, 'Holds'), holdsBox, allowancesBox),
  );
  await showLedger();
  const row = new URLSearchParams(location.hash.split('?')[1] ?? '').get('row');
  if (row) document.getElementById(`row-${row}`)?.classList.add('highlight');
}

async function pointsPage(box) {
  const params = new URLSearchParams(location.hash.split('?')[1] ?? '');
  const user = h('input', { name: 'userId', value: params.get('userId') ?? '', 'aria-label': 'User' });
  const out = h('div');
  const show = async () => {
    const userId = user.value.trim();
    if (!userId) return;
    const account = await api('GET', `/points${query({ userId })}`);
    const history = await api('GET', `/points/transactions${query({ userId, limit: 200 })}`);
    const now = Date.now();
    const lots = history.items.filter((t) => (t.type === 'earn' || t.type === 'confirm') && t.points > 0);
    const list = pager(
      (cursor) => api('GET', `/points/transactions${query({ userId, limit: 20, cursor })}`),
      (items) =>
        table(
          ['When', 'Type', 'Points', 'Balance after', 'Source', 'Expires', 'Refund of'],
          items.map((t) =>
            h(
              'tr',
              {},
              h('td', {}, when(t.createdAt)),
              h('td', {}, t.type),
              num(t.points),
              num(t.balanceAfter),
              h('td', {}, t.source ?? ''),
              h('td', {}, when(t.expiresAt)),
              h('td', {}, t.refundOf ?? ''),
            ),
          ),
          { id: 'point-history' },
        ),
    );
    out.replaceChildren(
      h(
        'div',
        { class: 'figures' },
        [
          ['Available', account.availablePoints],
          ['Pending', account.pendingPoints],
          ['Lifetime', account.totalPoints],
        ].map(([k, v]) => h('div', { class: 'figure' }, h('span', {}, k), h('b', {}, v))),
      ),
      h(
        'section',
        { class: 'card' },
        h('h3', {}, 'Lots (earned points and their expiry)'),
        lots.length === 0
          ? h('p', { class: 'muted' }, 'No lots.')
          : table(
              ['Earned', 'Points', 'Source', 'Expires', 'State'],
              lots.map((t) =>
                h(
                  'tr',
                  {},
                  h('td', {}, when(t.createdAt)),
                  num(t.points),
                  h('td', {}, t.source ?? ''),
                  h('td', {}, t.expiresAt ? when(t.expiresAt) : 'never'),
                  h('td', {}, t.expiresAt && Date.parse(t.expiresAt) <= now ? pill('expired') : pill('active')),
                ),
              ),
              { id: 'lots' },
            ),
      ),
      h('section', { class: 'card' }, h('h3', {}, 'History'), list.box),
    );
    await list.show();
  };
  box.append(
    h('h2', {}, 'Point accounts'),
    h(
      'section',
      { class: 'card' },
      h(
        'form',
        {
          class: 'filters',
          onsubmit: (e) => {
            e.preventDefault();
            show().catch((err) => out.replaceChildren(errorBox(err)));
          },
        },
        h('label', {}, 'User', user),
        h('button', { id: 'show-points' }, 'Show'),
      ),
    ),
    out,
  );
  await show();
}

const WALLET_KINDS = new Set(['balance_mismatch', 'held_mismatch']);

async function reconciliationPage(box) {
  const out = h('div');
  const run = async () => {
    out.replaceChildren(h('p', { class: 'muted' }, 'Checking the books…'));
    const r = await api('GET', '/admin/reconciliation');
    out.replaceChildren(
      h(
        'p',
        { id: 'reconciliation-result' },
        pill(r.ok ? 'ok' : 'bad'),
        ` ${r.wallets} wallets, ${r.pointAccounts} point accounts, ${r.ledgerRows} ledger rows checked at ${when(r.checkedAt)}`,
      ),
      r.problems.length === 0
        ? h('p', { class: 'muted' }, 'No problems.')
        : table(
            ['Kind', 'Concerns', 'Detail'],
            r.problems.map((p) =>
              h(
                'tr',
                {},
                h('td', {}, p.kind),
                h('td', {}, WALLET_KINDS.has(p.kind) ? link(`#/wallet/${p.id}`, p.id) : p.id),
                h('td', { class: 'wrap' }, p.detail),
              ),
            ),
            { id: 'problems' },
          ),
    );
  };
  box.append(
    h('h2', {}, 'Reconciliation'),
    h(
      'section',
      { class: 'card' },
      h('p', {}, h('button', { id: 'run-reconciliation', onclick: () => run().catch((e) => out.replaceChildren(errorBox(e))) }, 'Run reconciliation')),
      out,
    ),
  );
}

async function deadLettersPage(box) {
  const out = h('div');
  const note = h('p', { class: 'muted', role: 'status' });
  const resend = async (body) => {
    const r = await api('POST', '/admin/dead-letters/resend', body);
    note.textContent = `${r.requested} letter(s) queued for re-sending; the relay sends them within a second or so.`;
    setTimeout(() => load().catch(() => undefined), 1500);
  };
  const load = async () => {
    const { items } = await api('GET', '/admin/dead-letters');
    const sinks = [...new Set(items.filter((d) => d.status === 'dead').map((d) => d.sink))];
    out.replaceChildren(
      h(
        'p',
        {},
        sinks.map((s) => h('button', { class: 'secondary', onclick: () => resend({ sink: s }).catch((e) => out.append(errorBox(e))) }, `Re-send all of ${s}`)),
      ),
      items.length === 0
        ? h('p', { class: 'muted' }, 'No dead letters.')
        : table(
            ['Sink', 'Position', 'Event', 'Attempts', 'Last error', 'Since', 'Status', ''],
            items.map((d) =>
              h(
                'tr',
                { 'data-position': d.position },
                h('td', {}, d.sink),
                num(d.position),
                h('td', {}, h('span', { title: d.eventId }, d.eventType)),
                num(d.attempts),
                h('td', { class: 'wrap' }, d.lastError),
                h('td', {}, when(d.createdAt)),
                h('td', {}, pill(d.status), d.redeliveredAt ? ` ${when(d.redeliveredAt)}` : ''),
                h(
                  'td',
                  {},
                  d.status === 'dead'
                    ? h(
                        'button',
                        { class: 'secondary', onclick: () => resend({ sink: d.sink, position: d.position }).catch((e) => out.append(errorBox(e))) },
                        'Re-send',
                      )
                    : '',
                ),
              ),
            ),
            { id: 'dead-letters' },
          ),
    );
  };
  box.append(
    h('h2', {}, 'Dead letters'),
    h(
      'section',
      { class: 'card' },
      note,
      h('p', {}, h('button', { class: 'secondary', onclick: () => load().catch((e) => out.append(errorBox(e))) }, 'Refresh')),
      out,
    ),
  );
  await load();
}

async function relayPage(box) {
  const r = await api('GET', '/admin/relay');
  box.append(
    h('h2', {}, 'Relay'),
    h(
      'section',
      { class: 'card' },
      h(
        'p',
        { class: 'muted' },
        `Newest event: position ${r.head}. This instance is ${r.active ? 'the active relay' : 'standing by (another instance delivers)'}.`,
      ),
      r.sinks.length === 0
        ? h('p', { class: 'muted' }, 'No sinks are configured.')
        : table(
            ['Sink', 'Target', 'Events', 'Position', 'Lag (events)', 'Lag (s)', 'State', 'Last error'],
            r.sinks.map((s) =>
              h(
                'tr',
                {},
                h('td', {}, s.name),
                h('td', {}, s.target),
                h('td', { class: 'wrap' }, s.events ? s.events.join(', ') : 'all'),
                num(s.position ?? '–'),
                num(s.lagEvents),
                num(s.lagSeconds.toFixed(1)),
                h('td', {}, pill(s.failing ? 'failing' : 'ok'), s.consecutiveFailures ? ` ${s.consecutiveFailures} in a row` : ''),
                h('td', { class: 'wrap' }, s.lastError ? `${s.lastError} (${when(s.lastErrorAt)})` : ''),
              ),
            ),
            { id: 'sinks' },
          ),
    ),
  );
}

/**
 * The live feed: Server-Sent Events read through fetch (EventSource cannot send the bearer token),
 * from the newest event on.
 */
async function feedPage(box) {
  const list = h('ol', { class: 'feed', id: 'feed' });
  const state = h('p', { class: 'muted', role: 'status' }, 'Connecting…');
  box.append(h('h2', {}, 'Live feed'), h('section', { class: 'card' }, state, list));
  const { head } = await api('GET', '/admin/relay');
  const abort = new AbortController();
  stopFeed = () => abort.abort();
  const res = await fetch(`${API}/events${query({ after: head })}`, {
    headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
    signal: abort.signal,
  });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => null));
  state.textContent = `Watching events after position ${head}.`;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: ?(.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.replace(/^data: ?/, ''))
          .join('\n');
        if (!data) continue;
        const e = JSON.parse(data);
        list.prepend(
          h(
            'li',
            { 'data-position': id },
            `#${id} ${when(e.occurredAt)} ${e.type} ${e.aggregateType} ${e.aggregateId}`,
            e.payload?.amount ? ` amount ${e.payload.amount}` : '',
          ),
        );
        while (list.children.length > 200) list.lastChild.remove();
      }
    }
  } catch (e) {
    if (!abort.signal.aborted) throw e;
  }
}

// ---------------------------------------------------------------- routing

const PAGES = {
  wallets: walletsPage,
  wallet: walletPage,
  points: pointsPage,
  reconciliation: reconciliationPage,
  'dead-letters': deadLettersPage,
  relay: relayPage,
  feed: feedPage,
};

async function route() {
  if (!token) return renderSignIn();
  if (stopFeed) {
    stopFeed();
    stopFeed = null;
  }
  const [path] = (location.hash.replace(/^#\/?/, '') || 'wallets').split('?');
  const [name, arg] = path.split('/');
  const build = PAGES[name] ?? walletsPage;
  await page(name in PAGES ? name : 'wallets', (box) => build(box, arg && decodeURIComponent(arg)));
}

window.addEventListener('hashchange', () => void route());
oidcFinish()
  .then((done) => {
    if (!done) renderSignIn();
  })
  .catch((e) => {
    renderSignIn();
    main.append(errorBox(e));
  });
