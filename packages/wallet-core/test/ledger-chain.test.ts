import { describe, expect, it } from 'vitest';
import { LedgerKeyring, canonicalDecimal, canonicalMetadata, type ChainedRow } from '../src/index.js';

const row: ChainedRow = {
  id: '20000000-0000-4000-8000-000000000001',
  walletId: '10000000-0000-4000-8000-000000000001',
  userId: 'u1',
  currency: 'USD',
  type: 'deposit',
  amount: '12.50',
  balanceAfter: '12.50',
  description: 'a "quoted" line\n',
  reference: null,
  transferId: null,
  holdId: null,
  refundOf: null,
  actorSub: 'pos',
  actorRole: 'service',
  createdAtMicros: '1767225600123000',
  occurredAtMicros: null,
  allowanceId: null,
  allowanceSeq: null,
  pairedWith: null,
  metadata: null,
};

describe('the keyed ledger chain', () => {
  const keys = LedgerKeyring.parse('new:the-new-ledger-key-000000,old:the-old-ledger-key-000000');

  it('links with the first key and verifies with any key it holds', () => {
    const hash = keys.link(null, row);
    expect(keys.current).toBe('new');
    expect(keys.verify(null, row, 'new', hash)).toBe(true);
    const old = new LedgerKeyring([{ id: 'old', secret: 'the-old-ledger-key-000000' }]);
    const oldHash = old.link('prev', row);
    expect(keys.verify('prev', row, 'old', oldHash)).toBe(true);
    // The key id is part of what is signed: an old row cannot be passed off under the new key.
    expect(keys.verify('prev', row, 'new', oldHash)).toBe(false);
  });

  it('breaks on any change of content, predecessor or wallet identity; not on fraction zeros', () => {
    const hash = keys.link('p', row);
    expect(keys.verify('p', { ...row, amount: '12.5' }, 'new', hash)).toBe(true);
    expect(keys.verify('p', { ...row, amount: '12.51' }, 'new', hash)).toBe(false);
    expect(keys.verify('q', row, 'new', hash)).toBe(false);
    expect(keys.verify(null, row, 'new', hash)).toBe(false);
    expect(keys.verify('p', { ...row, userId: 'u2' }, 'new', hash)).toBe(false);
    expect(keys.verify('p', { ...row, currency: 'EUR' }, 'new', hash)).toBe(false);
    expect(keys.verify('p', { ...row, actorRole: 'admin' }, 'new', hash)).toBe(false);
    expect(keys.verify('p', { ...row, description: null }, 'new', hash)).toBe(false);
    expect(keys.verify('p', { ...row, occurredAtMicros: '1767225500000000' }, 'new', hash)).toBe(false);
    expect(keys.verify('p', { ...row, allowanceId: '40000000-0000-4000-8000-000000000001', allowanceSeq: '1' }, 'new', hash)).toBe(false);
    expect(keys.verify('p', row, 'unknown', hash)).toBe(false);
  });

  it("covers a split payment's link: set, cleared or pointed elsewhere, the row no longer verifies", () => {
    const paired = { ...row, pairedWith: '50000000-0000-4000-8000-000000000001' };
    const hash = keys.link('p', paired);
    expect(keys.verify('p', paired, 'new', hash)).toBe(true);
    expect(keys.verify('p', { ...paired, pairedWith: null }, 'new', hash)).toBe(false);
    expect(keys.verify('p', { ...paired, pairedWith: '50000000-0000-4000-8000-000000000002' }, 'new', hash)).toBe(false);
    expect(keys.verify('p', paired, 'new', keys.link('p', row))).toBe(false);
  });

  it("covers a row's metadata: added, removed or edited, the row no longer verifies; the order of its keys does not matter", () => {
    const labelled = { ...row, metadata: canonicalMetadata({ till: '3', store: 'S12' }) };
    const hash = keys.link('p', labelled);
    expect(keys.verify('p', { ...row, metadata: canonicalMetadata({ store: 'S12', till: '3' }) }, 'new', hash)).toBe(true);
    expect(keys.verify('p', row, 'new', hash)).toBe(false);
    expect(keys.verify('p', { ...row, metadata: canonicalMetadata({ store: 'S13', till: '3' }) }, 'new', hash)).toBe(false);
    expect(keys.verify('p', labelled, 'new', keys.link('p', row))).toBe(false);
    // A row with metadata and no split payment is not the row paired with a uuid-looking text.
    expect(keys.verify('p', { ...row, pairedWith: labelled.metadata }, 'new', hash)).toBe(false);
  });

  it('cannot be recomputed without the key: another secret gives another hash', () => {
    const other = new LedgerKeyring([{ id: 'new', secret: 'someone-elses-guess-00000' }]);
    expect(other.link(null, row)).not.toBe(keys.link(null, row));
  });

  it('parses WALLET_LEDGER_KEY: id:secret pairs or a bare secret with a derived id; refuses short or repeated keys', () => {
    expect(LedgerKeyring.parse('  a-very-long-bare-secret-value ').current).toMatch(/^k[0-9a-f]{12}$/);
    expect(() => LedgerKeyring.parse('k1:short')).toThrow(/shorter than 16/);
    expect(() => LedgerKeyring.parse('k1:0123456789abcdef0,k1:0123456789abcdef1')).toThrow(/named twice/);
    expect(() => LedgerKeyring.parse(' , ')).toThrow(/at least one key/);
  });

  it('writes decimals without trailing fraction zeros', () => {
    expect(['12.50', '3.00', '0.10', '125000', '0.0'].map(canonicalDecimal)).toEqual(['12.5', '3', '0.1', '125000', '0']);
  });
});
