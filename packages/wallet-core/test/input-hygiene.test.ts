import { describe, expect, it } from 'vitest';
import { MemoryWalletStore, WalletService, isCleanText } from '../src/index.js';

async function setup() {
  const service = new WalletService({ store: new MemoryWalletStore() });
  const a = await service.createWallet({ userId: 'alice' });
  const b = await service.createWallet({ userId: 'bob' });
  await service.deposit({ walletId: a.id, amount: '1000' });
  return { service, a, b };
}

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: string }) => e.code,
  );

describe('input hygiene of the facade', () => {
  it('treats an upper-case wallet id exactly like its lower-case form and answers in lower case (issue 8 reproduction)', async () => {
    const { service, a, b } = await setup();
    const upper = a.id.toUpperCase();
    expect((await service.getWallet({ walletId: upper })).id).toBe(a.id);
    const w = await service.withdraw({ walletId: upper, amount: '10' });
    expect([w.wallet.id, w.transaction.walletId, w.wallet.balance]).toEqual([a.id, a.id, '990']);
    const t = await service.transfer({ fromWalletId: upper, toWalletId: b.id.toUpperCase(), amount: '5' });
    expect([t.wallet.id, t.wallet.balance]).toEqual([a.id, '985']);
    // A transfer to itself written in two cases is still to itself.
    expect(await codeOf(service.transfer({ fromWalletId: upper, toWalletId: a.id, amount: '1' }))).toBe('SAME_WALLET');
    expect((await service.listTransactions({ walletId: upper })).items).toHaveLength(3);
    // The same key with the id in another case is the same command: a replay, not a conflict.
    const first = await service.deposit({ walletId: a.id, amount: '7' }, { idempotencyKey: 'case-1' });
    const again = await service.deposit({ walletId: upper, amount: '7' }, { idempotencyKey: 'case-1' });
    expect(again).toEqual(first);
    expect((await service.getWallet({ walletId: a.id })).balance).toBe('992');
  });

  it('refuses a cursor past bigint, zero, or not of our encoding, and accepts null as the first page (issue 8 reproduction)', async () => {
    const { service, a } = await setup();
    const cursor = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
    expect(cursor('p:9999999999999999999')).toBe('cDo5OTk5OTk5OTk5OTk5OTk5OTk5');
    for (const bad of [
      cursor('p:9999999999999999999'),
      cursor('p:9223372036854775808'),
      cursor('p:0'),
      cursor('p:01'),
      cursor('x:1'),
      'p:1',
      `${cursor('p:1')}=`,
    ]) {
      expect(await codeOf(service.listTransactions({ walletId: a.id, cursor: bad }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.listPointTransactions({ userId: 'alice', cursor: bad }))).toBe('VALIDATION_ERROR');
    }
    // Well-formed, yet no row of this history has that position: refused too (issue 23 item 8), never a page after it.
    expect(await codeOf(service.listTransactions({ walletId: a.id, cursor: cursor('p:9223372036854775807') }))).toBe('VALIDATION_ERROR');
    expect((await service.listTransactions({ walletId: a.id, cursor: null })).items).toHaveLength(1);
  });

  it('takes limit as an integer or a plain decimal string only (issue 8 reproduction)', async () => {
    const { service, a } = await setup();
    for (const bad of ['1e2', '0x10', ' 5', '5 ', '+5', '5.0', '', '0', '201', 0, 1.5, -1]) {
      expect(await codeOf(service.listTransactions({ walletId: a.id, limit: bad as never }))).toBe('VALIDATION_ERROR');
    }
    expect((await service.listTransactions({ walletId: a.id, limit: '200' as never })).items).toHaveLength(1);
    expect((await service.listTransactions({ walletId: a.id, limit: 1 })).items).toHaveLength(1);
  });

  it('refuses text that is not well-formed or holds control characters, in every field that becomes data (issue 8 reproduction)', async () => {
    const { service, a, b } = await setup();
    for (const bad of ['a\ud800b', 'a\udc00', 'a\u0000b', 'a\u001bb', 'a\u007fb']) {
      expect(await codeOf(service.withdraw({ walletId: a.id, amount: '1', description: bad }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.withdraw({ walletId: a.id, amount: '1', reference: bad }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.transfer({ fromWalletId: a.id, toWalletId: b.id, amount: '1', description: bad }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.freeze({ walletId: a.id, reason: bad }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.createWallet({ userId: bad }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.earnPoints({ userId: bad, points: 1, source: 's' }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.earnPoints({ userId: 'alice', points: 1, source: bad }))).toBe('VALIDATION_ERROR');
      expect(await codeOf(service.getPointAccount({ userId: bad }))).toBe('VALIDATION_ERROR');
    }
    // Free text may hold tab and line breaks; a reference or an identity may not.
    expect((await service.withdraw({ walletId: a.id, amount: '1', description: 'line 1\r\n\tline 2' })).transaction.description).toBe('line 1\r\n\tline 2');
    expect(await codeOf(service.withdraw({ walletId: a.id, amount: '1', reference: 'a\tb' }))).toBe('VALIDATION_ERROR');
    expect(await codeOf(service.createWallet({ userId: 'a\nb' }))).toBe('VALIDATION_ERROR');
    // Nothing was changed by any refused command.
    expect((await service.getWallet({ walletId: a.id })).balance).toBe('999');
    expect((await service.getWallet({ walletId: b.id })).status).toBe('active');
    expect((await service.listTransactions({ walletId: a.id })).items).toHaveLength(2);
  });

  it('never normalises an identity: a lone surrogate is not U+FFFD, and text in any script is kept as sent', () => {
    expect(isCleanText('\ufffd')).toBe(true);
    expect(isCleanText('\ud800')).toBe(false);
    expect(isCleanText('Nguyễn Văn A 👩‍💻')).toBe(true);
    expect(isCleanText('e\u0301')).toBe(true);
    expect(isCleanText('a\tb', { freeText: true })).toBe(true);
    expect(isCleanText('a\tb')).toBe(false);
  });
});
