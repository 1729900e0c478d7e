// Reads the one Secret a Pipeline's webhook names, by name (`get`, never list or watch: the
// operator holds no other Secret rights), and says plainly why a token is not there.
import type * as k8s from '@kubernetes/client-node';
import { describeError, httpStatus } from '../kube/errors.ts';

/** A token longer than this is refused: no signature scheme needs more, and it is held in memory. */
export const MAX_TOKEN_BYTES = 4096;

export type TokenLookup = { ok: true; token: string } | { ok: false; message: string };

export type SecretGet = (namespace: string, name: string) => Promise<k8s.V1Secret>;

/** The token under `key` in Secret `name`, or a message naming what is missing. */
export async function readToken(get: SecretGet, namespace: string, name: string, key: string): Promise<TokenLookup> {
  let secret: k8s.V1Secret;
  try {
    secret = await get(namespace, name);
  } catch (err) {
    const status = httpStatus(err);
    if (status === 404) return { ok: false, message: `Secret ${name} not found in namespace ${namespace}` };
    if (status === 403)
      return {
        ok: false,
        message: `the operator may not read Secret ${name} in namespace ${namespace} (forbidden: install the chart with webhooks.enabled=true)`,
      };
    return { ok: false, message: `Secret ${name} could not be read: ${describeError(err).slice(0, 200)}` };
  }
  return tokenOf(secret, name, key);
}

/** The decoded value of `key` (data is base64; stringData is never returned by the API server). */
export function tokenOf(secret: k8s.V1Secret, name: string, key: string): TokenLookup {
  const encoded = secret.data?.[key];
  if (encoded === undefined) return { ok: false, message: `Secret ${name} has no key "${key}"` };
  const token = Buffer.from(encoded, 'base64').toString('utf8');
  if (token.trim() === '') return { ok: false, message: `Secret ${name}: key "${key}" is empty` };
  if (Buffer.byteLength(token) > MAX_TOKEN_BYTES)
    return { ok: false, message: `Secret ${name}: key "${key}" is longer than ${MAX_TOKEN_BYTES} bytes` };
  return { ok: true, token };
}
