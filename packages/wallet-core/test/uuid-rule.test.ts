import { describe, expect, it } from 'vitest';
import { isUuid } from '../src/index.js';

describe('the one UUID rule', () => {
  it('takes a hyphenated UUID of any version in either case, and nothing else', () => {
    for (const text of ['0191f4b2-7c3e-7a1d-9f00-0123456789ab', '00000000-0000-0000-0000-000000000000', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11']) {
      expect(isUuid(text), text).toBe(true);
    }
    for (const text of [
      '',
      'a0eebc999c0b4ef8bb6d6bb9bd380a11',
      '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a111',
      'g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\n',
      ' a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
      "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11' OR '1'='1",
    ]) {
      expect(isUuid(text), JSON.stringify(text)).toBe(false);
    }
  });
});
