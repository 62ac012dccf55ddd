import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { canInline, executeText, inlineParams } from '../src/node-postgres/driver.js';

// escapeLiteral is a method of the client; it needs no connection.
const client = new pg.Client() as unknown as pg.PoolClient;

describe('inlining parameters for a combined BEGIN or COMMIT message', () => {
  it('escapes strings with the driver, including quotes and backslashes', () => {
    expect(inlineParams(client, 'SELECT $1, $2', ["O'Brien", 'a\\b'])).toBe("SELECT 'O''Brien',  E'a\\\\b'");
  });

  it('replaces $10 and $1 correctly and never rescans inlined text', () => {
    const params = ['$2', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'ten'];
    expect(inlineParams(client, '$10 $1', params)).toBe("'ten' '$2'");
  });

  it('writes NULL, safe integers and arrays of plain text, and refuses anything else', () => {
    const id = '00000000-0000-4000-8000-000000000001';
    expect(inlineParams(client, '$1 $2 $3::uuid[] $4::uuid[]', [null, 42, [id], []])).toBe(`NULL 42 '{${id}}'::uuid[] '{}'::uuid[]`);
    // Each element quoted in the array's text form, the whole escaped as one literal.
    expect(inlineParams(client, '$1::text[]', [['pos-1', "x'}", 'a"b,c']])).toBe(` E'{"pos-1","x''}","a\\\\"b,c"}'::text[]`);
    expect(() => inlineParams(client, '$1', [['Thanh toán']])).toThrow(TypeError);
    expect(() => inlineParams(client, '$1', [[1]])).toThrow(TypeError);
    expect(() => inlineParams(client, '$1', [1.5])).toThrow(TypeError);
    expect(() => inlineParams(client, '$1', [{}])).toThrow(TypeError);
    expect(() => inlineParams(client, '$2', ['a'])).toThrow(RangeError);
  });

  it('runs a prepared statement by its quoted name with the same literals, and refuses what it would not inline', () => {
    const id = '00000000-0000-4000-8000-000000000001';
    expect(executeText(client, 'wallet_lock_wallets', [[id], 42, null, "O'Brien"])).toBe(`EXECUTE "wallet_lock_wallets"('{${id}}', 42, NULL, 'O''Brien')`);
    expect(executeText(client, 'wallet_outbox_writer', [])).toBe('EXECUTE "wallet_outbox_writer"');
    expect(executeText(client, 'a"b', [])).toBe('EXECUTE "a""b"');
    expect(() => executeText(client, 'wallet_x', ['Thanh toán'])).toThrow(TypeError);
  });

  it('inlines only values whose literal cannot change meaning; other text travels as a bound parameter', () => {
    expect(canInline(['plain ASCII key-1', 42, null, ['00000000-0000-4000-8000-000000000001']])).toBe(true);
    // Text in another script, control characters, a NUL or a lone surrogate: never written into the message.
    for (const text of ['Thanh toán', 'a\nb', 'a\u0000b', 'a\ud800b']) {
      expect(canInline([text])).toBe(false);
      expect(() => inlineParams(client, '$1', [text])).toThrow(TypeError);
    }
  });
});
