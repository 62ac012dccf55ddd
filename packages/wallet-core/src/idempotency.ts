/** @internal Canonical JSON: object keys sorted, undefined dropped, so equal inputs serialise equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

const replays = new WeakSet<object>();

/** @internal */
export function markReplayed<T>(value: T): T {
  if (typeof value === 'object' && value !== null) replays.add(value);
  return value;
}

/** True when a command's result is the stored response of an earlier call with the same idempotency key. */
export function wasReplayed(result: unknown): boolean {
  return typeof result === 'object' && result !== null && replays.has(result);
}

/** An idempotency key: 1 to 255 visible ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY_PATTERN.test(key);
}
