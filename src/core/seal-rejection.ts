/**
 * Tells why a cookie failed verification, for the `rejected` event. The sealer only answers
 * "no session", as it must on every request; this asks the same envelope check again with one
 * condition lifted at a time, and runs only for a cookie already refused and only when someone
 * listens.
 *
 * @packageDocumentation
 */

import {
  type CookieSealer,
  MAX_SEAL_LENGTH,
  normalizeSecrets,
  readEnvelope,
  type SecretInput,
} from './cookie-seal.ts';
import { cutSeal } from './iron-crypto.ts';
import type { EmitEvent, RejectionReason } from './session-events.ts';

/**
 * Why `value`, which the sealer refused at `now`, is not a session cookie.
 *
 * @param secrets the secrets the sealer holds, by id
 */
export function rejectionReason(
  value: string,
  secrets: Readonly<Record<string, string>>,
  now: number,
): RejectionReason {
  if (value.length > MAX_SEAL_LENGTH) return 'malformed';
  // The envelope passed, so the crypto or the payload refused it.
  if (readEnvelope(value, secrets, now) !== undefined) return 'bad-seal';
  // Every seal ruts makes expires after epoch 0: passing at 0 leaves only the expiry at fault.
  if (readEnvelope(value, secrets, 0) !== undefined) return 'seal-expired';
  const secretId = cutSeal(value)?.secretId ?? '';
  if (readEnvelope(value, { [secretId]: '' }, 0) !== undefined) return 'retired-secret';
  return 'malformed';
}

/** `sealer`, reporting each cookie it refuses as a `rejected` event with its reason. */
export function reportingSealer(
  sealer: CookieSealer,
  secret: SecretInput,
  emit: EmitEvent,
): Pick<CookieSealer, 'seal' | 'unseal'> {
  const secrets = normalizeSecrets(secret).all;
  return {
    seal: sealer.seal.bind(sealer),
    async unseal(value) {
      const verified = await sealer.unseal(value);
      if (verified === undefined && typeof value === 'string' && value !== '') {
        emit({ type: 'rejected', reason: rejectionReason(value, secrets, Date.now()) });
      }
      return verified;
    },
  };
}
