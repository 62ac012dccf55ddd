/**
 * @goodgo/wallet-server: the wallet microservice as a Hono app, with the pieces its binary uses.
 *
 * @example
 * ```ts
 * import { createApp, createAuthenticator } from '@goodgo/wallet-server';
 * const app = createApp({ service, auth: createAuthenticator({ kind: 'secret', secret }) });
 * const res = await app.request('/api/v1/wallets', { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export { createApp, type AppOptions } from './app.js';
export { createAuthenticator, bearerToken, type AuthConfig, type Authenticator } from './auth.js';
export { loadConfig, configSchema, ConfigError, DEVELOPMENT_JWT_SECRET, type Config } from './config.js';
export { Metrics } from './metrics.js';
export { openApiDocument } from './openapi.js';
export { STATUS_OF, problem, type Problem, type ProblemCode } from './errors.js';
export {
  TRANSPORT_CODES,
  TransportError,
  UnauthorizedError,
  ForbiddenError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  type TransportCode,
} from './errors.js';
export { hasRole, rolesFromClaims, type Principal, type Role } from './principal.js';
export { startServer, type RunningServer } from './server.js';
export { mintToken } from './token.js';
export { traceFields } from './trace-context.js';
export type { AppEnv } from './deps.js';
