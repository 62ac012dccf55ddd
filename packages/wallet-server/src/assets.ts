import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** This package's root: the folder of its package.json, above src/ in the tests and dist/ when built. */
const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'console'))) return dir;
  throw new Error('@goodgo/wallet-server: its console/ folder is missing from the package');
})();

/** The pinned build of the API reference's script: its version and the SHA-256 it must have. */
export const SCALAR = { version: '1.76.0', sha256: 'dcb027152bf20bf2f6dcd66e8f9fb073c1a9e274cf0b94b939a7d99ab8947060' } as const;

const TYPES = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8', svg: 'image/svg+xml' } as const;

/**
 * Every file the service serves to a browser, by the name in its URL: nothing is fetched from
 * another origin (the console and the API reference work with no internet). A page links each
 * with its version or `?v=` its hash, so a browser may keep them for good.
 */
const FILES: Record<string, string> = {
  [`scalar-api-reference-${SCALAR.version}.js`]: 'vendor/scalar-api-reference/standalone.js',
  'console.js': 'console/console.js',
  'console.css': 'console/console.css',
};

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const loaded = new Map<string, Asset>();

/** The asset of that name, read once; undefined for a name that is not one. */
export function asset(name: string): Asset | undefined {
  const path = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (path === undefined) return undefined;
  let found = loaded.get(name);
  if (!found) {
    const body = readFileSync(join(ROOT, path));
    const ext = name.slice(name.lastIndexOf('.') + 1) as keyof typeof TYPES;
    found = { body, type: TYPES[ext], etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    loaded.set(name, found);
  }
  return found;
}

export const ASSETS_PATH = '/api/v1/wallets/assets';

/** The URL of an asset that names its content: `?v=` its hash. */
export function assetUrl(name: string): string {
  const found = asset(name);
  if (!found) throw new Error(`no asset ${name}`);
  return `${ASSETS_PATH}/${name}?v=${found.etag.slice(1, 13)}`;
}
