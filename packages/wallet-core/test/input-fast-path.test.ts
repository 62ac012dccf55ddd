import { describe, expect, it } from 'vitest';
import { parseInput, schemas as s } from '../src/index.js';

/** What `parseInput` answers: the value, or the ValidationError's message and issues. */
function answer(schema: Parameters<typeof parseInput>[0], input: unknown): unknown {
  try {
    const value: unknown = parseInput(schema, input);
    return { ok: true, value, keys: value !== null && typeof value === 'object' ? Object.keys(value) : null };
  } catch (e) {
    const err = e as { code?: string; message: string; issues?: unknown };
    return { ok: false, code: err.code, message: err.message, issues: err.issues };
  }
}

/** What the schema alone (zod, no fast path) makes of it, in `parseInput`'s terms. */
function zodAnswer(schema: Parameters<typeof parseInput>[0], input: unknown): unknown {
  const result = schema.safeParse(input);
  if (result.success) {
    const value: unknown = result.data;
    return { ok: true, value, keys: value !== null && typeof value === 'object' ? Object.keys(value) : null };
  }
  return { ok: false, code: 'VALIDATION_ERROR', issues: result.error.issues.map((i) => i.path.map(String).join('.')) };
}

const ID = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11';
const IDS = [
  ID,
  ID.toUpperCase(),
  '00000000-0000-0000-0000-000000000000',
  'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  'a0eebc99-9c0b-0ef8-bb6d-6bb9bd380a11',
  'a0eebc99-9c0b-4ef8-cb6d-6bb9bd380a11',
  ` ${ID}`,
  `${ID}\n`,
  '',
  42,
  null,
  undefined,
];
const AMOUNTS = ['1', '0', '12.50', '01', '1.', '.5', '1e3', ' 1', '-1', '1'.repeat(40), '1'.repeat(41), 1, null, undefined];
const TEXTS = [
  undefined,
  '',
  'order 1',
  'a\tb\nc',
  'a\u0000b',
  'a\u0007',
  '\uD800',
  '\uD83D\uDE00',
  'x'.repeat(255),
  'x'.repeat(256),
  'x'.repeat(500),
  'x'.repeat(501),
  5,
  null,
];
const USER_IDS = [
  'b-1',
  'x'.repeat(255),
  'x'.repeat(256),
  '',
  ' b-1',
  'b-1 ',
  '\u00a0b-1',
  'b-1\n',
  'a\tb',
  'a\u0000b',
  '\uD800',
  '\uD83D\uDE00',
  ID,
  42,
  null,
  undefined,
];
const METADATA = [undefined, {}, { store: 'S12' }, { 'bad key': 'x' }, null];

/** Every input the fast path could see differently from zod: each field over its cases, then odd shapes. */
function* inputs(fields: readonly string[]): Generator<unknown> {
  const base: Record<string, unknown> = {};
  const cases = (f: string) => (f === 'amount' ? AMOUNTS : f === 'userId' ? USER_IDS : IDS);
  for (const f of fields) base[f] = f === 'amount' ? '1' : f === 'userId' ? 'b-1' : ID;
  yield base;
  for (const f of fields) {
    for (const v of cases(f)) yield { ...base, [f]: v };
    const without = { ...base };
    delete without[f];
    yield without;
  }
  for (const v of TEXTS) {
    yield { ...base, description: v };
    yield { ...base, reference: v };
  }
  for (const v of METADATA) yield { ...base, metadata: v };
  yield { ...base, extra: 1 };
  yield Object.assign(Object.create(null) as object, base);
  yield Object.assign(Object.create({ inherited: 1 }) as object, base);
  yield Object.assign(Object.create({}) as object, base);
  yield JSON.parse(`{"__proto__": {"x": 1}, ${fields.map((f) => `"${f}": "${String(base[f])}"`).join(', ')}}`) as unknown;
  yield [base];
  yield new Map(Object.entries(base));
  yield 'deposit';
  yield null;
  yield undefined;
}

describe('the fast paths of the hottest inputs answer exactly what their schemas answer', () => {
  // The least each side must be exercised: the cases are not all one way.
  for (const [name, schema, fields, least] of [
    ['deposit', s.depositInput, ['walletId', 'amount'], 20],
    ['withdraw', s.withdrawInput, ['walletId', 'amount'], 20],
    ['transfer', s.transferInput, ['fromWalletId', 'toWalletId', 'amount'], 20],
    ['a wallet by id', s.walletIdInput, ['walletId'], 5],
    ['a user by id', s.userIdInput, ['userId'], 5],
    ['an id in a path', s.idParamsSchema('Wallet id'), ['id'], 5],
  ] as const) {
    it(`${name}: the same value (keys in the same order) or the same refusal`, () => {
      let accepted = 0;
      let refused = 0;
      for (const input of inputs(fields)) {
        const ours = answer(schema, input) as { ok: boolean; value?: unknown; keys?: unknown; issues?: { path: string }[] };
        const zods = zodAnswer(schema, input) as { ok: boolean; value?: unknown; keys?: unknown; issues?: string[] };
        expect(ours.ok, JSON.stringify(input)).toBe(zods.ok);
        if (zods.ok) {
          accepted++;
          expect(ours.value, JSON.stringify(input)).toStrictEqual(zods.value);
          expect(ours.keys, JSON.stringify(input)).toStrictEqual(zods.keys);
        } else {
          refused++;
          expect(
            ours.issues?.map((d) => d.path),
            JSON.stringify(input),
          ).toStrictEqual(zods.issues);
        }
      }
      expect(accepted).toBeGreaterThan(least);
      expect(refused).toBeGreaterThan(least);
    });
  }

  it('an upper-case id comes out in lower case, an optional field given as undefined stays a key', () => {
    const out = parseInput(s.transferInput, { fromWalletId: ID.toUpperCase(), toWalletId: ID, amount: '5', reference: undefined });
    expect(out).toStrictEqual({ fromWalletId: ID, toWalletId: ID, amount: '5', reference: undefined });
    expect(Object.keys(out)).toEqual(['fromWalletId', 'toWalletId', 'amount', 'reference']);
  });
});
