import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freshDatabase } from '@goodgo/wallet-pg/testing';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { WebhookReceiver, newSecret } from './support/receiver.js';

// The embedding examples of the package READMEs, run as a host would run them: each block
// transpiled on its own and run by node against the built packages. (readme-code.test.ts in
// wallet-server type-checks the same blocks under the strict tsconfig.)
const root = join(import.meta.dirname, '..', '..', '..');
const scratch = join(root, 'node_modules', '.cache', `embedding-readmes-${process.pid}`);
const adminUrl = process.env.WALLET_TEST_DATABASE_URL;
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The TypeScript blocks under a `## ` heading of a README. */
function blocksUnder(readme: string, heading: string): string[] {
  const text = readFileSync(join(root, readme), 'utf8');
  const from = text.indexOf(`\n## ${heading}`);
  if (from < 0) throw new Error(`${readme} has no "## ${heading}"`);
  const to = text.indexOf('\n## ', from + 1);
  return [...text.slice(from, to < 0 ? undefined : to).matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
}

/** Runs a block as a module of its own; the event loop stays free meanwhile (a test server may answer it). */
async function runBlock(name: string, code: string, env: Record<string, string> = {}): Promise<string> {
  mkdirSync(scratch, { recursive: true });
  const file = join(scratch, `${name}.mjs`);
  writeFileSync(
    file,
    ts.transpileModule(`${code}\nexport {};\n`, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText,
  );
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [file], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 120_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${name}: ${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

describe('the embedding examples of the package READMEs run', () => {
  it('wallet-pg: the store on your own PGlite instance, next to your own `holds` table', async () => {
    const [pglite] = blocksUnder('packages/wallet-pg/README.md', 'Embedding: your PGlite instance or your `pg` Pool');
    expect(await runBlock('pglite-instance', pglite as string)).toContain('balance 500000');
  });

  it.runIf(adminUrl)('wallet-pg: the store on your own pg Pool', async () => {
    const [, pool] = blocksUnder('packages/wallet-pg/README.md', 'Embedding: your PGlite instance or your `pg` Pool');
    const db = await freshDatabase(adminUrl as string, 'readme_pool');
    try {
      expect(await runBlock('pg-pool', pool as string, { DATABASE_URL: db.url })).toContain('balance 250000');
    } finally {
      await db.drop();
    }
  });

  it('wallet-pg: an order and its payment stay consistent through the idempotency key', async () => {
    const [order] = blocksUnder('packages/wallet-pg/README.md', "Your transaction and the wallet's");
    const out = await runBlock('order-payment', order as string);
    expect(out).toContain('ord-1001 replayed 375000');
    expect(out).not.toContain('charged');
    expect(out).toContain('balance 375000');
  });

  it('wallet-relay: a host starts the relay on its store and events reach its webhook', async () => {
    const relay = /^```ts\n([\s\S]*?)^```$/m.exec(readFileSync(join(root, 'packages/wallet-relay/README.md'), 'utf8'))?.[1] as string;
    const receiver = new WebhookReceiver(newSecret());
    const url = await receiver.listen();
    try {
      const out = await runBlock('relay', relay, { WEBHOOK_URL: url, WEBHOOK_SECRET: receiver.secret });
      expect(out).toContain('delivered 2');
      expect(receiver.accepted.map((r) => [r.event.type, r.verified])).toEqual([
        ['WalletCreated', true],
        ['BalanceChanged', true],
      ]);
    } finally {
      await receiver.close();
    }
  });
});
