import type { WalletStore } from '@goodgo/wallet-core';
import { createNodePostgresStore } from '@goodgo/wallet-pg/node-postgres';
import { createPgliteStore } from '@goodgo/wallet-pg/pglite';
import { freshDatabase } from '@goodgo/wallet-pg/testing';
import { HOSTILE_METADATA } from '@goodgo/wallet-core/testing';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET, harness, type Harness } from './support/harness.js';

/**
 * Hostile input: every case is refused with the right status and code as problem+json, and
 * nothing changes (balances, ledgers, points). It runs on PostgreSQL where
 * WALLET_TEST_DATABASE_URL is set (where a lone surrogate or a NUL would otherwise reach the
 * database), else on PGlite. Cases named "reproduction" are the inputs issue 8 reported.
 */

const adminUrl = process.env.WALLET_TEST_DATABASE_URL;
if (!adminUrl) console.log('[wallet-server] hostile-input suite runs on PGlite: WALLET_TEST_DATABASE_URL is not set.');

interface Case {
  name: string;
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  path: string;
  /** Who calls: a role of the fixture, or a token built for the case. */
  as: 'alice' | 'service' | 'admin' | 'none' | ((w: World) => Promise<string>);
  /** A JSON body, or raw text sent as is (with `type` as its content type). */
  body?: unknown;
  raw?: string;
  type?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
}

interface World {
  h: Harness;
  tokens: { alice: string; service: string; admin: string };
  a: string;
  b: string;
  pending: string;
  /** A cursor of bob's history: a real position, of another listing than alice's. */
  bCursor: string;
}

const SUB_SECRET = new TextEncoder().encode(SECRET);
const tokenWith = (claims: Record<string, unknown>, sub?: unknown, secret = SUB_SECRET) =>
  new SignJWT({ ...claims, ...(sub === undefined ? {} : { sub }) } as JWTPayload).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(secret);
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

const ZERO = '00000000-0000-4000-8000-000000000000';
const withdraw = (w: World, extra: Record<string, unknown>) => ({ walletId: w.a, amount: '10', ...extra });

// Bodies need the wallets' ids, so a case may give its body as a function of the world.
type Lazy<T> = T | ((w: World) => T);
type Value = string | number | boolean | null | readonly unknown[] | { readonly [k: string]: unknown };
type LazyCase = Omit<Case, 'body' | 'path' | 'raw'> & { body?: Lazy<Value>; path: Lazy<string>; raw?: Lazy<string> };
const resolve = <T>(v: Lazy<T>, w: World): T => (typeof v === 'function' ? (v as (w: World) => T)(w) : v);

const amounts: LazyCase[] = [
  ['a JSON number', 10],
  ['an empty string', ''],
  ['a leading space', ' 10'],
  ['a trailing space', '10 '],
  ['hex', '0x10'],
  ['an exponent', '1e3'],
  ['a minus sign', '-10'],
  ['a plus sign', '+10'],
  ['more fraction digits than VND has', '10.5'],
  ['zero', '0'],
  ['zero with fraction digits', '0.00'],
  ['more than the maximum', '1000000001'],
  ['full-width digits', '１０'],
  ['Arabic-Indic digits', '١٠'],
  ['a thousands separator', '1,000'],
  ['a leading zero', '010'],
  ['NaN', 'NaN'],
  ['Infinity', 'Infinity'],
  ['a NUL after the digits', '10\u0000'],
  ['null', null],
  ['an array', ['10']],
  ['an object', { value: '10' }],
  ['41 digits', '1'.repeat(41)],
].map(([name, amount]) => ({
  name: `withdraw amount: ${name as string}`,
  method: 'POST',
  path: '/api/v1/wallets/withdraw',
  as: 'alice',
  body: (w: World) => ({ walletId: w.a, amount }),
  status: 400,
  code: 'VALIDATION_ERROR',
}));
amounts.push(
  {
    name: 'transfer amount: an exponent',
    method: 'POST',
    path: '/api/v1/wallets/transfer',
    as: 'alice',
    body: (w) => ({ fromWalletId: w.a, toWalletId: w.b, amount: '1e2' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'transfer amount: negative',
    method: 'POST',
    path: '/api/v1/wallets/transfer',
    as: 'alice',
    body: (w) => ({ fromWalletId: w.a, toWalletId: w.b, amount: '-5' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'deposit amount: a JSON number',
    method: 'POST',
    path: '/api/v1/wallets/deposit',
    as: 'service',
    body: (w) => ({ walletId: w.a, amount: 5 }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'earn points: a string',
    method: 'POST',
    path: '/api/v1/wallets/points/earn',
    as: 'service',
    body: { userId: 'alice', points: '10', source: 's' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'earn points: beyond 2^53',
    method: 'POST',
    path: '/api/v1/wallets/points/earn',
    as: 'service',
    body: { userId: 'alice', points: 2 ** 53, source: 's' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'spend points: a fraction',
    method: 'POST',
    path: '/api/v1/wallets/points/spend',
    as: 'alice',
    body: { points: 1.5, source: 's' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
);

const subjectToken =
  (sub: unknown, roles: string[] = []) =>
  () =>
    tokenWith({ roles }, sub);
const tokens: LazyCase[] = [
  ['a NUL in sub', subjectToken('ali\u0000ce')],
  ["a lone surrogate in sub (reproduction: it read the U+FFFD user's wallet)", subjectToken('\ud800')],
  ['a line break in sub', subjectToken('alice\n')],
  ['an escape character in sub', subjectToken('\u001b[31malice')],
  ['an empty sub', subjectToken('')],
  ['a sub with surrounding spaces', subjectToken(' alice ')],
  ['a sub of 256 characters', subjectToken('x'.repeat(256))],
  ['a numeric sub', subjectToken(42)],
  ['no sub', subjectToken(undefined)],
  ['another secret', () => tokenWith({}, 'alice', new TextEncoder().encode('another-secret-another-secret-0123456789'))],
  ['alg none', async () => `${b64(JSON.stringify({ alg: 'none' }))}.${b64(JSON.stringify({ sub: 'alice', exp: Math.floor(Date.now() / 1000) + 60 }))}.`],
  [
    'an expired token',
    () =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject('alice')
        .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
        .sign(SUB_SECRET),
  ],
].map(([name, make]) => ({
  name: `token: ${name as string}`,
  method: 'GET',
  path: '/api/v1/wallets',
  as: make as (w: World) => Promise<string>,
  status: 401,
  code: 'UNAUTHORIZED',
}));
tokens.push(
  {
    name: 'token: a NUL in sub with an Idempotency-Key (reproduction: was 503)',
    method: 'POST',
    path: '/api/v1/wallets',
    as: subjectToken('a\u0000b'),
    body: {},
    headers: { 'idempotency-key': 'nul-sub-1' },
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'token: a lone surrogate sub withdrawing with a key',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: subjectToken('\udfff', ['service']),
    body: (w) => withdraw(w, {}),
    headers: { 'idempotency-key': 'lone-sub-1' },
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'token: a role with a NUL is no role',
    method: 'POST',
    path: (w) => `/api/v1/wallets/${w.a}/freeze`,
    as: subjectToken('alice', ['admin\u0000']),
    body: {},
    status: 403,
    code: 'FORBIDDEN',
  },
  {
    name: 'token: none at all on a command',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'none',
    body: (w) => withdraw(w, {}),
    status: 401,
    code: 'UNAUTHORIZED',
  },
);

const bodies: LazyCase[] = [
  {
    name: 'body: an unknown field',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => withdraw(w, { fee: '0' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: a __proto__ field',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: (w) => `{"walletId":"${w.a}","amount":"10","__proto__":{"admin":true}}`,
    type: 'application/json',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: an array',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: '[]',
    type: 'application/json',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: a JSON string',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: '"withdraw"',
    type: 'application/json',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: null',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: 'null',
    type: 'application/json',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: malformed JSON',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: '{"walletId":',
    type: 'application/json',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: raw JSON with an unpaired surrogate escape',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: (w) => `{"walletId":"${w.a}","amount":"10","description":"a\\ud800b"}`,
    type: 'application/json',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: text/plain',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: (w) => JSON.stringify(withdraw(w, {})),
    type: 'text/plain',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'body: no content type',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: (w) => JSON.stringify(withdraw(w, {})),
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'body: application/xml',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: '<withdraw/>',
    type: 'application/xml',
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
  },
  {
    name: 'body: more than 1 MiB',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: (w) => JSON.stringify(withdraw(w, { description: 'x'.repeat(1_100_000) })),
    type: 'application/json',
    status: 413,
    code: 'PAYLOAD_TOO_LARGE',
  },
  {
    name: 'body: confirm with {"points":99999} (reproduction: was 200)',
    method: 'POST',
    path: (w) => `/api/v1/wallets/points/pending/${w.pending}/confirm`,
    as: 'service',
    body: { points: 99999 },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: cancel with a field',
    method: 'POST',
    path: (w) => `/api/v1/wallets/points/pending/${w.pending}/cancel`,
    as: 'service',
    body: { reason: 'x' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: freeze with an unknown field',
    method: 'POST',
    path: (w) => `/api/v1/wallets/${w.a}/freeze`,
    as: 'admin',
    body: { reason: 'r', until: 'never' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: deposit with an unknown field',
    method: 'POST',
    path: '/api/v1/wallets/deposit',
    as: 'service',
    body: (w) => ({ walletId: w.a, amount: '1', bonus: '1' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: create with an unknown field',
    method: 'POST',
    path: '/api/v1/wallets',
    as: 'service',
    body: { userId: 'carol', currency: 'VND', balance: '100' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: earn with an unknown field',
    method: 'POST',
    path: '/api/v1/wallets/points/earn',
    as: 'service',
    body: { userId: 'alice', points: 1, source: 's', multiplier: 10 },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: expire with an unknown field',
    method: 'POST',
    path: '/api/v1/wallets/points/expire',
    as: 'service',
    body: { asOf: '2020-01-01T00:00:00Z', all: true },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'body: nested 2 000 deep',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    raw: `${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}`,
    type: 'application/json',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
];

const headers: LazyCase[] = [
  ['an empty Idempotency-Key', ''],
  ['an Idempotency-Key of 256 characters', 'k'.repeat(256)],
  ['an Idempotency-Key with a space', 'a b'],
  ['an Idempotency-Key with a Latin-1 letter', 'clé'],
  ['an Idempotency-Key with a tab', 'a\tb'],
].map(([name, key]) => ({
  name: `header: ${name as string}`,
  method: 'POST',
  path: '/api/v1/wallets/withdraw',
  as: 'alice',
  body: (w: World) => withdraw(w, {}),
  headers: { 'idempotency-key': key as string },
  status: 400,
  code: 'VALIDATION_ERROR',
}));
headers.push(
  {
    name: 'header: Authorization not Bearer',
    method: 'GET',
    path: '/api/v1/wallets',
    as: 'none',
    headers: { authorization: 'Basic YWxpY2U6cHc=' },
    status: 401,
    code: 'UNAUTHORIZED',
  },
  {
    name: 'header: Bearer with two spaces',
    method: 'GET',
    path: '/api/v1/wallets',
    as: 'none',
    headers: { authorization: 'Bearer  abc.def.ghi' },
    status: 401,
    code: 'UNAUTHORIZED',
  },
);

const ids: LazyCase[] = [
  { name: 'id: not a UUID in the path', method: 'GET', path: '/api/v1/wallets/not-a-uuid', as: 'alice', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'id: a NUL in the path', method: 'GET', path: '/api/v1/wallets/%00', as: 'alice', status: 400, code: 'VALIDATION_ERROR' },
  { name: 'id: an encoded lone surrogate in the path', method: 'GET', path: '/api/v1/wallets/%ED%A0%80', as: 'alice', status: 400, code: 'VALIDATION_ERROR' },
  {
    name: 'id: a UUID in braces',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => ({ walletId: `{${w.a}}`, amount: '1' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'id: a UUID without dashes',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => ({ walletId: w.a.replace(/-/g, ''), amount: '1' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'id: a UUID with a trailing NUL',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => ({ walletId: `${w.a}\u0000`, amount: '1' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'id: a wallet that does not exist',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: { walletId: ZERO, amount: '1' },
    status: 404,
    code: 'WALLET_NOT_FOUND',
  },
  {
    name: "id: someone else's wallet, upper case",
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.b.toUpperCase()}`,
    as: 'alice',
    status: 404,
    code: 'WALLET_NOT_FOUND',
  },
  {
    name: "id: withdraw from someone else's wallet, upper case",
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => ({ walletId: w.b.toUpperCase(), amount: '1' }),
    status: 404,
    code: 'WALLET_NOT_FOUND',
  },
  {
    name: 'id: transfer to itself, one side upper case (reproduction: was 404)',
    method: 'POST',
    path: '/api/v1/wallets/transfer',
    as: 'alice',
    body: (w) => ({ fromWalletId: w.a.toUpperCase(), toWalletId: w.a, amount: '1' }),
    status: 422,
    code: 'SAME_WALLET',
  },
  {
    name: 'id: transfer to itself, both upper case',
    method: 'POST',
    path: '/api/v1/wallets/transfer',
    as: 'alice',
    body: (w) => ({ fromWalletId: w.a.toUpperCase(), toWalletId: w.a.toUpperCase(), amount: '1' }),
    status: 422,
    code: 'SAME_WALLET',
  },
  {
    name: 'id: confirm an id that is not a UUID',
    method: 'POST',
    path: '/api/v1/wallets/points/pending/abc/confirm',
    as: 'service',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'id: confirm a transaction that does not exist',
    method: 'POST',
    path: `/api/v1/wallets/points/pending/${ZERO}/confirm`,
    as: 'service',
    status: 404,
    code: 'TRANSACTION_NOT_FOUND',
  },
  {
    name: "id: history of someone else's wallet",
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.b}/transactions`,
    as: 'alice',
    status: 404,
    code: 'WALLET_NOT_FOUND',
  },
];

const cursor = (s: string) => encodeURIComponent(b64(s));
const cursors: LazyCase[] = [
  ['past bigint (reproduction: was 500)', 'cDo5OTk5OTk5OTk5OTk5OTk5OTk5'],
  ['one past the largest bigint', cursor('p:9223372036854775808')],
  ['position zero', cursor('p:0')],
  ['a negative position', cursor('p:-1')],
  ['a leading zero', cursor('p:01')],
  ['not base64url', '!!!'],
  ['another prefix', cursor('q:5')],
  ['a NUL', '%00'],
  ['201 characters', 'A'.repeat(201)],
].flatMap(([name, c]) => [
  {
    name: `cursor: ${name as string}, wallet history`,
    method: 'GET' as const,
    path: (w: World) => `/api/v1/wallets/${w.a}/transactions?cursor=${c as string}`,
    as: 'alice' as const,
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: `cursor: ${name as string}, points history`,
    method: 'GET' as const,
    path: `/api/v1/wallets/points/transactions?cursor=${c as string}`,
    as: 'alice' as const,
    status: 400,
    code: 'VALIDATION_ERROR',
  },
]);

const limits: LazyCase[] = [
  ['1e2 (reproduction: was 200)', '1e2'],
  ['0x10 (reproduction: was 200)', '0x10'],
  ['%205 (reproduction: was 200)', '%205'],
  ['zero', '0'],
  ['201', '201'],
  ['-1', '-1'],
  ['5.0', '5.0'],
  ['empty', ''],
  ['+5', '%2B5'],
  ['a NUL', '5%00'],
].map(([name, l]) => ({
  name: `limit: ${name as string}`,
  method: 'GET',
  path: (w: World) => `/api/v1/wallets/${w.a}/transactions?limit=${l as string}`,
  as: 'alice',
  status: 400,
  code: 'VALIDATION_ERROR',
}));
limits.push({
  name: 'limit: 1e2 on points history',
  method: 'GET',
  path: '/api/v1/wallets/points/transactions?limit=1e2',
  as: 'alice',
  status: 400,
  code: 'VALIDATION_ERROR',
});

const texts: LazyCase[] = [
  {
    name: 'text: withdraw description with a lone surrogate (reproduction: was 500)',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => withdraw(w, { description: 'a\ud800b' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: withdraw reference with a lone surrogate (reproduction: was 500)',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => withdraw(w, { reference: '\udc00' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: freeze reason with a lone surrogate (reproduction: was 500)',
    method: 'POST',
    path: (w) => `/api/v1/wallets/${w.a}/freeze`,
    as: 'admin',
    body: { reason: 'fraud \ud83d' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: earn source with a lone surrogate (reproduction: was 500)',
    method: 'POST',
    path: '/api/v1/wallets/points/earn',
    as: 'service',
    body: { userId: 'alice', points: 5, source: 'order\ud800' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: earn userId with a lone surrogate (reproduction: was 500)',
    method: 'POST',
    path: '/api/v1/wallets/points/earn',
    as: 'service',
    body: { userId: '\ud800', points: 5, source: 's' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: create userId with a lone surrogate (reproduction: was 500)',
    method: 'POST',
    path: '/api/v1/wallets',
    as: 'service',
    body: { userId: 'x\udbff' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: description with a NUL',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => withdraw(w, { description: 'a\u0000b' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: description with an escape sequence',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => withdraw(w, { description: '\u001b[2J' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: reference with a tab',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => withdraw(w, { reference: 'a\tb' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: reference with a line break',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => withdraw(w, { reference: 'a\nb' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: description of 501 characters',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => withdraw(w, { description: 'd'.repeat(501) }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: reference of 256 characters',
    method: 'POST',
    path: '/api/v1/wallets/withdraw',
    as: 'alice',
    body: (w) => withdraw(w, { reference: 'r'.repeat(256) }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: transfer description with a DEL',
    method: 'POST',
    path: '/api/v1/wallets/transfer',
    as: 'alice',
    body: (w) => ({ fromWalletId: w.a, toWalletId: w.b, amount: '1', description: 'x\u007f' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: an empty source',
    method: 'POST',
    path: '/api/v1/wallets/points/spend',
    as: 'alice',
    body: { points: 1, source: '' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: spend description with a lone surrogate',
    method: 'POST',
    path: '/api/v1/wallets/points/spend',
    as: 'alice',
    body: { points: 1, source: 's', description: '\ud800' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: adjust description with a NUL',
    method: 'POST',
    path: '/api/v1/wallets/points/adjust',
    as: 'admin',
    body: { userId: 'alice', points: 5, source: 's', description: '\u0000' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: create userId with surrounding spaces',
    method: 'POST',
    path: '/api/v1/wallets',
    as: 'service',
    body: { userId: ' alice' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  { name: 'text: userId query with a NUL', method: 'GET', path: '/api/v1/wallets?userId=al%00ice', as: 'service', status: 400, code: 'VALIDATION_ERROR' },
  {
    name: 'text: userId query with a line break',
    method: 'GET',
    path: '/api/v1/wallets/points?userId=alice%0A',
    as: 'service',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'text: transaction type not of the list',
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.a}/transactions?type=deposit%00`,
    as: 'alice',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
];

const routes: LazyCase[] = [
  { name: 'route: GET /health/foo (reproduction: was WALLET_NOT_FOUND)', method: 'GET', path: '/health/foo', as: 'none', status: 404, code: 'NOT_FOUND' },
  {
    name: 'route: a path below a wallet that does not exist as a route',
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.a}/nothing/here`,
    as: 'alice',
    status: 404,
    code: 'NOT_FOUND',
  },
  { name: 'route: DELETE a wallet', method: 'DELETE', path: (w) => `/api/v1/wallets/${w.a}`, as: 'admin', status: 404, code: 'NOT_FOUND' },
  { name: 'route: outside the API', method: 'GET', path: '/admin', as: 'none', status: 404, code: 'NOT_FOUND' },
];

// Issue 23 item 9: codes of ISO 4217 that are no currency (funds, the SDR, metals, test codes).
const currencies: LazyCase[] = ['XDR', 'XSU', 'XUA', 'BOV', 'CHE', 'CHW', 'CLF', 'COU', 'MXV', 'USN', 'UYI', 'UYW', 'XAU', 'XTS', 'XXX'].map((code) => ({
  name: `currency: open a wallet in ${code}${['XDR', 'XSU', 'XUA', 'BOV', 'CHE', 'USN', 'CLF', 'UYW'].includes(code) ? ' (reproduction: was 201)' : ''}`,
  method: 'POST' as const,
  path: '/api/v1/wallets',
  as: 'alice' as const,
  body: { currency: code },
  status: 400,
  code: 'VALIDATION_ERROR',
}));

// Issue 23 item 2: instants no store can hold (year 0, or year 10000 once the offset is applied).
const YEAR_0 = encodeURIComponent('0000-01-01T00:00:00Z');
const YEAR_10000 = encodeURIComponent('9999-12-31T23:59:59-10:00');
const dates: LazyCase[] = [
  {
    name: 'date: balance at year 0 (reproduction: was 500)',
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.a}/balance?at=${YEAR_0}`,
    as: 'alice',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'date: statement to year 10000 after its offset (reproduction: was 500)',
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.a}/statement?from=${encodeURIComponent('9999-12-31T00:00:00Z')}&to=${YEAR_10000}`,
    as: 'alice',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'date: statement from year 0',
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.a}/statement?from=${YEAR_0}&to=${encodeURIComponent('0001-01-02T00:00:00Z')}`,
    as: 'alice',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'date: history from year 0 (reproduction: was 500)',
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.a}/transactions?from=${YEAR_0}`,
    as: 'alice',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'date: history to year 10000',
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.a}/transactions?to=${YEAR_10000}`,
    as: 'alice',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'date: points expiresAt in year 10000 (reproduction: was 500)',
    method: 'POST',
    path: '/api/v1/wallets/points/earn',
    as: 'service',
    body: { userId: 'alice', points: 1, source: 'far', expiresAt: '9999-12-31T23:59:59-10:00' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'date: expire asOf year 0 (reproduction: was 500)',
    method: 'POST',
    path: '/api/v1/wallets/points/expire',
    as: 'service',
    body: { asOf: '0000-01-01T00:00:00Z' },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'date: hold expiresAt in year 10000',
    method: 'POST',
    path: '/api/v1/wallets/holds',
    as: 'alice',
    body: (w) => ({ walletId: w.a, amount: '1', expiresAt: '9999-12-31T23:59:59-10:00' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'date: allowance spendUntil in year 0',
    method: 'POST',
    path: '/api/v1/wallets/allowances',
    as: 'alice',
    body: (w) => ({ walletId: w.a, tillId: 'till', amount: '1', spendUntil: '0000-06-01T00:00:00Z' }),
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'date: a sale occurredAt in year 0',
    method: 'POST',
    path: `/api/v1/wallets/allowances/${ZERO}/sync`,
    as: 'service',
    body: { spends: [{ seq: 1, amount: '1', occurredAt: '0000-06-01T00:00:00Z' }] },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
];

// Issue 23 item 7: a feed resumed past its end would never hand over the events up to there.
const BEYOND = '9223372036854775807';
const feeds: LazyCase[] = [
  {
    name: 'feed: after beyond the newest event (reproduction: was 200)',
    method: 'GET',
    path: `/api/v1/wallets/events?after=${BEYOND}`,
    as: 'service',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'feed: Last-Event-ID beyond the newest event, as a stream (reproduction: was 200)',
    method: 'GET',
    path: '/api/v1/wallets/events',
    as: 'admin',
    headers: { accept: 'text/event-stream', 'last-event-id': BEYOND },
    status: 400,
    code: 'VALIDATION_ERROR',
  },
];

// Issue 23 item 8: a cursor resumes after a row of its own listing, or nowhere.
const NO_ROW = cursor('p:9223372036854775000');
const unknownCursors: LazyCase[] = [
  ['no row', () => NO_ROW],
  ["bob's history", (w: World) => w.bCursor],
].flatMap(([name, c]) => {
  const at = c as (w: World) => string;
  const period = `from=${encodeURIComponent('2000-01-01T00:00:00Z')}&to=${encodeURIComponent('2100-01-01T00:00:00Z')}`;
  return [
    { name: `cursor naming ${name as string}: history`, path: (w: World) => `/api/v1/wallets/${w.a}/transactions?cursor=${at(w)}`, as: 'alice' as const },
    {
      name: `cursor naming ${name as string}: history with a period (reproduction: was 200)`,
      path: (w: World) => `/api/v1/wallets/${w.a}/transactions?cursor=${at(w)}&${period}`,
      as: 'alice' as const,
    },
  ].map((c) => ({ ...c, method: 'GET' as const, status: 400, code: 'VALIDATION_ERROR' }));
});
// Positions are numbered per table, so only a position of no row at all is foreign to every other listing.
for (const [listing, path] of [
  ['holds', (w: World) => `/api/v1/wallets/${w.a}/holds`],
  ['allowances', (w: World) => `/api/v1/wallets/${w.a}/allowances`],
  ['points history', () => '/api/v1/wallets/points/transactions'],
] as const) {
  unknownCursors.push({
    name: `cursor naming no row: ${listing}`,
    method: 'GET',
    path: (w) => `${path(w)}?cursor=${NO_ROW}`,
    as: 'alice',
    status: 400,
    code: 'VALIDATION_ERROR',
  });
}
unknownCursors.push({
  name: 'cursor naming no wallet: admin search (reproduction: was 200)',
  method: 'GET',
  path: `/api/v1/wallets/admin/wallets?cursor=${cursor('w:00000000-0000-4000-8000-00000000dead')}`,
  as: 'admin',
  status: 400,
  code: 'VALIDATION_ERROR',
});

// Metadata: every label the schema refuses, on a deposit, a withdrawal and a hold; then what only
// raw JSON can send (a "__proto__" key, escapes of NUL and of a lone surrogate).
const metadata: LazyCase[] = [
  ...HOSTILE_METADATA.flatMap(([name, value]): LazyCase[] => [
    {
      name: `metadata: ${name} on a deposit`,
      method: 'POST',
      path: '/api/v1/wallets/deposit',
      as: 'service',
      body: (w) => ({ walletId: w.a, amount: '10', metadata: value as Value }),
      status: 400,
      code: 'VALIDATION_ERROR',
    },
    {
      name: `metadata: ${name} on a withdrawal`,
      method: 'POST',
      path: '/api/v1/wallets/withdraw',
      as: 'alice',
      body: (w) => withdraw(w, { metadata: value }),
      status: 400,
      code: 'VALIDATION_ERROR',
    },
  ]),
  ...(
    [
      ['a "__proto__" key', '{"__proto__":"x"}'],
      ['a "__proto__" key beside another', '{"store":"S12","__proto__":{"admin":true}}'],
      ['an escaped NUL in a value', '{"store":"S12\\u0000"}'],
      ['an escaped lone surrogate in a value', '{"store":"\\ud800"}'],
      ['an escaped lone surrogate in a key', '{"\\udc00":"S12"}'],
    ] as const
  ).map(([name, json]): LazyCase => ({
    name: `metadata: ${name} (raw JSON) on a hold`,
    method: 'POST',
    path: '/api/v1/wallets/holds',
    as: 'alice',
    raw: (w) => `{"walletId":"${w.a}","amount":"10","metadata":${json}}`,
    type: 'application/json',
    status: 400,
    code: 'VALIDATION_ERROR',
  })),
  {
    name: 'metadata: a NUL in a history filter',
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.a}/transactions?metadata.store=S12%00`,
    as: 'alice',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
  {
    name: 'metadata: a lone surrogate in a history filter',
    method: 'GET',
    path: (w) => `/api/v1/wallets/${w.a}/transactions?metadata.store=%ED%A0%80`,
    as: 'alice',
    status: 400,
    code: 'VALIDATION_ERROR',
  },
];

const CASES: LazyCase[] = [
  ...metadata,
  ...amounts,
  ...tokens,
  ...bodies,
  ...headers,
  ...ids,
  ...cursors,
  ...limits,
  ...texts,
  ...routes,
  ...currencies,
  ...dates,
  ...feeds,
  ...unknownCursors,
];

describe('hostile input: refused with its status and code, nothing changed', () => {
  let w: World;
  let store: WalletStore;
  let drop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    if (adminUrl) {
      const db = await freshDatabase(adminUrl, 'hostile');
      drop = db.drop;
      store = await createNodePostgresStore({ connectionString: db.url, max: 4 });
    } else store = await createPgliteStore();
    const h = await harness({ store });
    const tokens = { alice: await h.token('alice'), service: await h.token('pos', 'service'), admin: await h.token('boss', 'admin') };
    const a = await h.call('POST', '/api/v1/wallets', { token: tokens.alice, body: {} });
    const b = await h.call('POST', '/api/v1/wallets', { token: tokens.service, body: { userId: 'bob' } });
    await h.call('POST', '/api/v1/wallets/deposit', { token: tokens.service, body: { walletId: a.body.id, amount: '1000' } });
    await h.call('POST', '/api/v1/wallets/deposit', { token: tokens.service, body: { walletId: b.body.id, amount: '500' } });
    await h.call('POST', '/api/v1/wallets/points/earn', { token: tokens.service, body: { userId: 'alice', points: 300, source: 'order:1' } });
    const pending = await h.call('POST', '/api/v1/wallets/points/earn', {
      token: tokens.service,
      body: { userId: 'alice', points: 40, source: 'order:2', pending: true },
    });
    // The identity U+FFFD exists: a lone surrogate must never be read as this user.
    await h.call('POST', '/api/v1/wallets', { token: tokens.service, body: { userId: '\ufffd' } });
    const [bRow] = await store.listWalletTransactions(b.body.id, { limit: 1 });
    w = { h, tokens, a: a.body.id, b: b.body.id, pending: pending.body.transaction.id, bCursor: cursor(`p:${bRow?.position}`) };
  });
  afterAll(async () => {
    await store.close();
    await drop();
  });

  async function books(): Promise<unknown> {
    const { h, tokens } = w;
    const read = async (path: string, token: string) => (await h.call('GET', path, { token })).body;
    return {
      a: await read(`/api/v1/wallets/${w.a}`, tokens.alice),
      b: await read(`/api/v1/wallets/${w.b}`, tokens.service),
      aLedger: await read(`/api/v1/wallets/${w.a}/transactions?limit=200`, tokens.alice),
      bLedger: await read(`/api/v1/wallets/${w.b}/transactions?limit=200`, tokens.service),
      points: await read('/api/v1/wallets/points', tokens.alice),
      pointLedger: await read('/api/v1/wallets/points/transactions?limit=200', tokens.alice),
      replacementUser: await read(`/api/v1/wallets?userId=${encodeURIComponent('\ufffd')}`, tokens.service),
      aliceWallets: await read('/api/v1/wallets', tokens.alice),
      aliceHolds: await read(`/api/v1/wallets/${w.a}/holds`, tokens.alice),
    };
  }

  it('has at least 80 cases', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(80);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await books();
    const token = c.as === 'none' ? undefined : typeof c.as === 'function' ? await c.as(w) : w.tokens[c.as];
    const body = c.body === undefined ? undefined : resolve(c.body, w);
    const raw = c.raw === undefined ? undefined : resolve(c.raw, w);
    const headers = { ...(c.type ? { 'content-type': c.type } : {}), ...(c.headers ?? {}) };
    const res = await w.h.call(c.method, resolve(c.path, w), {
      ...(token ? { token } : {}),
      ...(body !== undefined ? { body } : {}),
      ...(raw !== undefined ? { raw } : {}),
      headers,
    });
    expect([res.status, res.body?.code, res.headers.get('content-type')]).toEqual([c.status, c.code, 'application/problem+json']);
    expect(await books()).toEqual(before);
  });

  it('treats an upper-case wallet id exactly like the lower-case one and answers in lower case (reproduction: withdraw and transfer were 404)', async () => {
    const { h, tokens } = w;
    const upper = w.a.toUpperCase();
    const got = await h.call('GET', `/api/v1/wallets/${upper}`, { token: tokens.alice });
    expect([got.status, got.body.id]).toEqual([200, w.a]);
    const paid = await h.call('POST', '/api/v1/wallets/withdraw', { token: tokens.alice, body: { walletId: upper, amount: '1' } });
    expect([paid.status, paid.body.wallet.id, paid.body.transaction.walletId]).toEqual([200, w.a, w.a]);
    const sent = await h.call('POST', '/api/v1/wallets/transfer', {
      token: tokens.alice,
      body: { fromWalletId: upper, toWalletId: w.b.toUpperCase(), amount: '1' },
    });
    expect([sent.status, sent.body.wallet.id]).toEqual([200, w.a]);
    const history = await h.call('GET', `/api/v1/wallets/${upper}/transactions?limit=2`, { token: tokens.alice });
    expect(history.body.items.map((t: { walletId: string }) => t.walletId)).toEqual([w.a, w.a]);
  });
});
