import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eventCatalogue, eventCataloguePath } from '../../../scripts/event-catalogue.js';

describe('event catalogue', () => {
  it('docs/events.md is what the zod schemas and recorded examples make of it (npm run docs:events rewrites it)', async () => {
    const generated = await eventCatalogue();
    expect(readFileSync(eventCataloguePath, 'utf8')).toBe(generated);
  });
});
