import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';

describe('errors', () => {
  it('gives every code of the contract one class whose static and instance code agree', () => {
    const classes = Object.values(core).filter((v): v is typeof core.WalletError => typeof v === 'function' && v.prototype instanceof core.WalletError);
    expect(classes.map((c) => c.code).sort()).toEqual([...core.ERROR_CODES].sort());
    for (const Class of classes) {
      // Every constructor takes strings (ids, amounts) or numbers first; placeholders suffice here.
      const instance = new (Class as unknown as new (...args: unknown[]) => core.WalletError)('a', 'b', 'c');
      expect([Class.name, instance.code]).toEqual([Class.name, Class.code]);
      expect(instance.name).toBe(Class.name);
    }
  });

  it('recognises errors by their marker and code, not by class identity', () => {
    const e = new core.InsufficientFundsError('w', '1', '2');
    expect(core.isWalletError(e)).toBe(true);
    expect(e.code).toBe('INSUFFICIENT_FUNDS');
    expect(e.name).toBe('InsufficientFundsError');
    const copy = Object.assign(Object.create(null), { code: 'WALLET_FROZEN', [Symbol.for('@goodgo/wallet-core/WalletError')]: true });
    expect(core.isWalletError(copy)).toBe(true);
    expect(core.isWalletError(new Error('x'))).toBe(false);
    expect(core.isWalletError({ code: 'WALLET_FROZEN' })).toBe(false);
  });
});
