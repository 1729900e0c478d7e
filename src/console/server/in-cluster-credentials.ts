// The in-cluster Console's credentials in one place, for the HTTP layer to call: which token a
// request acts with (an auth proxy's `Authorization: Bearer`, else the session of a token pasted
// at login), the login itself (the API server must accept the token first), and the backend of
// each person (backend-pool.ts). The server's own ServiceAccount is never used for anything.
import type { Logger } from 'pino';
import { BackendPool } from './backend-pool.ts';
import type { ConsoleBackend } from './backend.ts';
import { createKubeBackend } from './kube-backend.ts';
import {
  inClusterApiServer,
  kubeConfigForToken,
  parseAuthorization,
  validateUser,
  type ApiServer,
  type InClusterFiles,
} from './in-cluster-token.ts';
import { clearedSessionCookie, sessionIdFrom, TokenSessions } from './token-sessions.ts';

export interface InClusterConsoleOptions {
  /** Namespaces every person's backend watches (as `--namespace`); [] = as each person's rights allow. */
  namespaces: string[];
  log?: Logger;
  /** Defaults: the pod's environment and /etc/conveyor/ca/ca.crt. */
  env?: NodeJS.ProcessEnv;
  files?: InClusterFiles;
  /** Tests: another API server, another backend factory. */
  api?: ApiServer;
  factory?: (token: string) => ConsoleBackend;
  sessionIdleMs?: number;
  backendIdleMs?: number;
  maxBackends?: number;
}

/** A request's credentials: the token to act with, or why there is none (always a 401). */
export type Credentials =
  | { ok: true; token: string; via: 'proxy' | 'session' }
  | { ok: false; status: 401; message: string };

export type LoginResult =
  | { ok: true; setCookie: string; username?: string }
  | { ok: false; status: 401 | 502; message: string };

export const SIGN_IN_MESSAGE =
  'sign in: this Console acts only with your own Kubernetes token (sent by the auth proxy in front of it, or pasted at login)';

export interface InClusterConsole {
  api: ApiServer;
  pool: BackendPool;
  sessions: TokenSessions;
  credentials(headers: { authorization?: string | string[] | undefined; cookie?: string | undefined }): Credentials;
  /** Checks a pasted token with the API server, then opens a session for it. */
  login(token: string): Promise<LoginResult>;
  /** Ends the request's session; returns the Set-Cookie that clears the cookie. */
  logout(cookie: string | undefined): string;
  close(): Promise<void>;
}

export function createInClusterConsole(options: InClusterConsoleOptions): InClusterConsole {
  const api = options.api ?? inClusterApiServer(options.env, options.files);
  const factory =
    options.factory ??
    ((token: string) =>
      createKubeBackend(kubeConfigForToken(api, token), {
        namespaces: options.namespaces,
        ...(options.log ? { log: options.log } : {}),
      }));
  const pool = new BackendPool({
    factory,
    ...(options.backendIdleMs ? { idleMs: options.backendIdleMs } : {}),
    ...(options.maxBackends ? { maxBackends: options.maxBackends } : {}),
    onStopError: (key, error) =>
      options.log?.warn({ backend: key.slice(0, 12), err: String(error) }, 'a Console backend failed to stop'),
  });
  const sessions = new TokenSessions(options.sessionIdleMs ? { idleMs: options.sessionIdleMs } : {});
  const sweeper = setInterval(() => {
    sessions.sweep();
    void pool.sweep();
  }, 60_000);
  sweeper.unref();
  return {
    api,
    pool,
    sessions,
    credentials: (headers) => credentialsOf(headers, sessions),
    async login(token) {
      const check = await validateUser(api, token);
      if (!check.ok) return check;
      return {
        ok: true,
        setCookie: sessions.cookie(sessions.login(token)),
        ...(check.username ? { username: check.username } : {}),
      };
    },
    logout(cookie) {
      sessions.logout(sessionIdFrom(cookie));
      return clearedSessionCookie();
    },
    async close() {
      clearInterval(sweeper);
      await pool.close();
    },
  };
}

/** The proxy's bearer token wins; a malformed one is refused rather than ignored. */
function credentialsOf(
  headers: { authorization?: string | string[] | undefined; cookie?: string | undefined },
  sessions: TokenSessions,
): Credentials {
  const auth = parseAuthorization(headers);
  if (auth.kind === 'bearer') return { ok: true, token: auth.token, via: 'proxy' };
  if (auth.kind === 'malformed') return { ok: false, status: 401, message: auth.message };
  const token = sessions.tokenFor(sessionIdFrom(headers.cookie));
  return token ? { ok: true, token, via: 'session' } : { ok: false, status: 401, message: SIGN_IN_MESSAGE };
}
