import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

// Every TypeScript block of the READMEs a reader copies from (the repository's and each
// package's, which ship in the tarballs) is compiled under the repository's strict tsconfig,
// against the built packages, as a module of its own.
const root = join(import.meta.dirname, '..', '..', '..');
const readmes = [
  'README.md',
  'packages/wallet-core/README.md',
  'packages/wallet-pg/README.md',
  'packages/wallet-relay/README.md',
  'packages/wallet-server/README.md',
];
// Inside the repository, so that `@goodgo/*` resolve through its node_modules like a user's would.
const scratch = join(root, 'node_modules', '.cache', `readme-code-${process.pid}`);

function blocks(file: string): { name: string; code: string }[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/^```(?:ts|typescript)\n([\s\S]*?)^```$/gm)].map((m, i) => ({ name: `${file} block ${i + 1}`, code: m[1] as string }));
}

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  return { ...parsed.options, noEmit: true, declaration: false, sourceMap: false };
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('README code', () => {
  const all = readmes.flatMap(blocks);

  it('has TypeScript examples to check', () => {
    expect(all.length).toBeGreaterThanOrEqual(4);
  });

  it('compiles under the strict tsconfig, every block on its own', () => {
    mkdirSync(scratch, { recursive: true });
    const files = all.map((b, i) => {
      const path = join(scratch, `block-${i}.ts`);
      // `export {}` makes each block a module, as a file of the reader's would be (top-level await).
      writeFileSync(path, `${b.code}\nexport {};\n`);
      return { path, name: b.name };
    });
    const program = ts.createProgram(
      files.map((f) => f.path),
      compilerOptions(),
    );
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const file = files.find((f) => f.path === d.file?.fileName);
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
      return `${file?.name ?? (d.file ? relative(root, d.file.fileName) : '?')}${where ? `:${where.line + 1}` : ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
  });
});

describe('README and docs links', () => {
  // The READMEs (and the guides they point to) travel with a clone or a tarball: no link may lead
  // outside the repository. Generated references (docs/events.md) may cite specifications.
  const guides = [...readmes, 'docs/API.md', 'docs/DEPLOY.md', 'docs/DESIGN.md'];
  const docs = readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);

  it.each(guides)('%s links only to files of the repository', (file) => {
    const text = readFileSync(join(root, file), 'utf8');
    const outside: string[] = [];
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const path = (target as string).split('#')[0] as string;
      if (/^[a-z]+:/i.test(path)) {
        outside.push(target as string);
        continue;
      }
      if (path === '') continue;
      const absolute = resolve(dirname(join(root, file)), path);
      if (relative(root, absolute).startsWith('..') || !existsSync(absolute)) outside.push(target as string);
    }
    expect(outside).toEqual([]);
  });

  it.each([...readmes, ...docs])('%s never points at a directory beside the repository', (file) => {
    expect(readFileSync(join(root, file), 'utf8')).not.toMatch(/\.\.\/shared/);
  });
});
