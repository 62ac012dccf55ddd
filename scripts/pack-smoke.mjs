#!/usr/bin/env node
// What a user of the published packages gets, checked end to end without a registry release:
// packs every published package (after `npm run build`), installs the tarballs into a fresh project
// outside the repository (their dependencies from the npm registry, through the npm cache),
// type-checks and runs the README's library example there, then starts the server's bin and waits
// for a ready health answer, an authorised request, the API reference page, and a clean exit on
// SIGTERM. Then what the Docker image holds, without a Docker engine: the Dockerfile's build-stage
// RUN on a copy of the sources, its CMD in that tree (the same checks), and `goodgo-wallet-reconcile`.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ts = (await import(join(root, 'node_modules', 'typescript', 'lib', 'typescript.js'))).default;
const work = mkdtempSync(join(tmpdir(), 'goodgo-pack-smoke-'));
const keep = process.env.PACK_SMOKE_KEEP === '1';

function step(message) {
  console.log(`pack-smoke: ${message}`);
}

function run(command, args, options) {
  const r = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Every package of packages/ that is published (not private): what a registry user installs. */
function publishedPackages() {
  return readdirSync(join(root, 'packages'))
    .map((dir) => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')))
    .filter((pkg) => !pkg.private)
    .map((pkg) => pkg.name);
}

/** The first TypeScript block after a heading of README.md. */
function readmeBlock(heading) {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const from = text.indexOf(`\n## ${heading}\n`);
  if (from < 0) throw new Error(`README.md has no "## ${heading}"`);
  const m = /^```ts\n([\s\S]*?)^```$/m.exec(text.slice(from));
  if (!m) throw new Error(`README.md has no TypeScript block under "## ${heading}"`);
  return m[1];
}

/** The Dockerfile's CMD (exec form): what the image runs, in its WORKDIR. */
function imageCommand() {
  const line = readFileSync(join(root, 'Dockerfile'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith('CMD '));
  if (!line) throw new Error('Dockerfile has no CMD');
  return JSON.parse(line.slice(4));
}

/** The build stage's RUN instructions (continuation lines joined), as shell commands. */
function buildStageRuns() {
  const text = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const stage = text.split(/^FROM /m).find((s) => / AS build\b/.test(s.split('\n')[0]));
  if (!stage) throw new Error('Dockerfile has no build stage');
  return stage
    .split('\n')
    .filter((l) => l.startsWith('RUN '))
    .map((l) => l.slice(4));
}

/**
 * Starts the server, waits until it answers ready, creates a wallet with a minted token, fetches
 * the API reference, and checks that SIGTERM ends it with 0.
 */
async function serveAndStop(what, command, args, cwd, tokenBin) {
  step(`starting the server ${what}: ${[command, ...args].join(' ')}`);
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const env = {
    PATH: `${join(cwd, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    WALLET_DATA_DIR: 'memory://',
    WALLET_ALLOW_EMBEDDED: 'true',
    JWT_SECRET: secret,
    WALLET_LEDGER_KEY: `smoke:${randomBytes(24).toString('hex')}`,
  };
  const child = spawn(command === 'node' ? process.execPath : command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  child.stdout.on('data', (d) => logs.push(String(d)));
  child.stderr.on('data', (d) => logs.push(String(d)));
  const url = `http://127.0.0.1:${port}`;
  try {
    await untilReady(url, child, logs);
    const token = run(tokenBin, ['--sub', 'pos-backend', '--role', 'service'], { cwd, env: { PATH: env.PATH, JWT_SECRET: secret } }).trim();
    const created = await fetch(`${url}/api/v1/wallets`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': 'smoke-1' },
      body: JSON.stringify({ userId: 'cust-42' }),
    });
    if (created.status !== 201) throw new Error(`POST /api/v1/wallets answered ${created.status}: ${await created.text()}`);
    const docs = await fetch(`${url}/api/v1/wallets/docs`);
    if (docs.status !== 200 || !(docs.headers.get('content-type') ?? '').includes('text/html'))
      throw new Error(`GET /api/v1/wallets/docs answered ${docs.status}`);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
  if (code !== 0) throw new Error(`the server exited ${code} on SIGTERM:\n${logs.join('')}`);
}

async function untilReady(url, child, logs) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${logs.join('')}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`no ready answer within 60 s:\n${logs.join('')}`);
}

try {
  step(`packing into ${work}`);
  const packages = publishedPackages();
  run('npm', ['pack', '--pack-destination', work, ...packages.flatMap((p) => ['-w', p])], { cwd: root });
  const tarballs = readdirSync(work)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => join(work, f));
  if (tarballs.length !== packages.length) throw new Error(`expected ${packages.length} tarballs, got ${tarballs.join(', ')}`);

  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-smoke-app', private: true, type: 'module' }, null, 2));
  const pglite = JSON.parse(readFileSync(join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8')).version;
  step('installing the tarballs into a fresh project');
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, `@electric-sql/pglite@${pglite}`], { cwd: app });

  step("type-checking and running the README's library example");
  const example = readmeBlock('Using the library');
  writeFileSync(join(app, 'example.ts'), `${example}\nexport {};\n`);
  const base = ts.parseJsonConfigFileContent(ts.readConfigFile(join(root, 'tsconfig.base.json'), ts.sys.readFile).config, ts.sys, app).options;
  const program = ts.createProgram([join(app, 'example.ts')], {
    ...base,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    typeRoots: [join(root, 'node_modules', '@types')],
  });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (problems.length > 0) throw new Error(`the README example does not compile against the installed packages:\n${problems.join('\n')}`);
  const js = ts.transpileModule(example, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  writeFileSync(join(app, 'example.mjs'), js);
  const out = run(process.execPath, ['example.mjs'], { cwd: app });
  for (const expected of ['INSUFFICIENT_FUNDS', 'withdrawal 125000 375000', 'deposit 500000 500000', '375000']) {
    if (!out.includes(expected)) throw new Error(`the example's output lacks ${JSON.stringify(expected)}:\n${out}`);
  }

  const bin = join(app, 'node_modules', '.bin');
  await serveAndStop('from the installed packages', join(bin, 'goodgo-wallet-server'), [], app, join(bin, 'goodgo-wallet-token'));

  step('building the image tree: the Dockerfile build stage on a copy of the sources');
  const tree = join(work, 'image');
  const sources = run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: root }).split('\0').filter(Boolean);
  for (const file of sources) {
    mkdirSync(dirname(join(tree, file)), { recursive: true });
    cpSync(join(root, file), join(tree, file));
  }
  for (const command of buildStageRuns()) run('sh', ['-c', command], { cwd: tree });
  const [command, ...args] = imageCommand();
  await serveAndStop('as the image does', command, args, tree, join(tree, 'node_modules', '.bin', 'goodgo-wallet-token'));
  const report = run(join(tree, 'node_modules', '.bin', 'goodgo-wallet-reconcile'), [], {
    cwd: tree,
    env: { PATH: process.env.PATH ?? '', WALLET_DATA_DIR: 'memory://' },
  });
  if (!JSON.parse(report).ok) throw new Error(`goodgo-wallet-reconcile in the image tree: ${report}`);
  step(
    'ok: the packed packages install, the README example runs, the server answers ready and authorised requests from them and from the image tree, and reconcile runs there',
  );
} finally {
  if (!keep) rmSync(work, { recursive: true, force: true });
}
