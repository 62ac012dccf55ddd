/** Driver errors leave the store as wallet errors, the original kept as `cause` for the logs. @internal */
import { InternalError, ServiceUnavailableError, ValidationError, isWalletError } from '@goodgo/wallet-core';
import { UnstorableValueError, isConnectionBroken, isUnavailable } from './driver.js';

export function toWalletError(e: unknown): Error {
  if (isWalletError(e)) return e;
  if (e instanceof UnstorableValueError) {
    return new ValidationError('Text must be well-formed Unicode without NUL characters', [{ path: '', message: e.message }]);
  }
  // A broken connection, whatever pg calls it, is the database being away for this request.
  if (isUnavailable(e) || isConnectionBroken(e)) return new ServiceUnavailableError('The database is unavailable', { cause: e });
  return new InternalError('Storage failure', { cause: e });
}
