// The in-cluster Console's pure parts: where the API server is, a KubeConfig holding only a
// bearer token, reading the token off a request. validateUser runs against the real cluster in
// test/e2e/console-in-cluster.test.ts.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CA_FILE,
  bearerToken,
  inClusterApiServer,
  kubeConfigForToken,
  parseAuthorization,
  validateUser,
} from '../../../../src/console/server/in-cluster-token.ts';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl-_';
const present = { caFile: DEFAULT_CA_FILE, exists: () => true };

describe('inClusterApiServer', () => {
  const cases: [string, NodeJS.ProcessEnv, string][] = [
    [
      'IPv4 service address',
      { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      'https://10.96.0.1:443',
    ],
    [
      'IPv6 service address in brackets',
      { KUBERNETES_SERVICE_HOST: 'fd00:10:96::1', KUBERNETES_SERVICE_PORT: '443' },
      'https://[fd00:10:96::1]:443',
    ],
    [
      'IPv6 already bracketed',
      { KUBERNETES_SERVICE_HOST: '[fd00::1]', KUBERNETES_SERVICE_PORT: '6443' },
      'https://[fd00::1]:6443',
    ],
    [
      'a host name, port defaulted',
      { KUBERNETES_SERVICE_HOST: 'kubernetes.default.svc' },
      'https://kubernetes.default.svc:443',
    ],
  ];
  for (const [label, env, server] of cases) {
    it(label, () => expect(inClusterApiServer(env, present)).toEqual({ server, caFile: DEFAULT_CA_FILE }));
  }

  const refused: [string, NodeJS.ProcessEnv, RegExp][] = [
    ['no host', {}, /KUBERNETES_SERVICE_HOST is not set/],
    ['blank host', { KUBERNETES_SERVICE_HOST: ' ' }, /KUBERNETES_SERVICE_HOST is not set/],
    [
      'port not a number',
      { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: 'https' },
      /not a port number/,
    ],
    [
      'port out of range',
      { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '70000' },
      /not a port number/,
    ],
  ];
  for (const [label, env, message] of refused) {
    it(`refuses: ${label}`, () => expect(() => inClusterApiServer(env, present)).toThrow(message));
  }

  it("CONVEYOR_CONSOLE_API_SERVER (https only) and CONVEYOR_CONSOLE_CA_FILE replace the pod's defaults", () => {
    const proxy = {
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      CONVEYOR_CONSOLE_API_SERVER: 'https://kube-oidc-proxy.auth.svc:443/',
      CONVEYOR_CONSOLE_CA_FILE: '/etc/conveyor/ca/proxy.crt',
    };
    expect(inClusterApiServer(proxy, present)).toEqual({
      server: 'https://kube-oidc-proxy.auth.svc:443',
      caFile: '/etc/conveyor/ca/proxy.crt',
    });
    expect(inClusterApiServer({ CONVEYOR_CONSOLE_API_SERVER: 'https://[fd00::1]:8443' }, present).server).toBe(
      'https://[fd00::1]:8443',
    );
    expect(() => inClusterApiServer({ CONVEYOR_CONSOLE_API_SERVER: 'http://proxy:8080' }, present)).toThrow(
      /must be an https URL/,
    );
    expect(() => inClusterApiServer({ CONVEYOR_CONSOLE_API_SERVER: 'proxy:8080' }, present)).toThrow(
      /must be an https URL|not a URL/,
    );
    expect(() => inClusterApiServer({ CONVEYOR_CONSOLE_API_SERVER: '::' }, present)).toThrow(/not a URL/);
  });

  it('uses the CA path given, and says where to mount the CA when it is missing', () => {
    const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(inClusterApiServer(env, { caFile: '/ca/x.crt', exists: (p) => p === '/ca/x.crt' }).caFile).toBe('/ca/x.crt');
    expect(() => inClusterApiServer(env, { caFile: '/nope/ca.crt', exists: () => false })).toThrow(
      /not at \/nope\/ca\.crt: mount the namespace's kube-root-ca\.crt/,
    );
  });
});

describe('kubeConfigForToken', () => {
  it('authenticates with the bearer token only, verifying TLS against the CA', () => {
    const kc = kubeConfigForToken({ server: 'https://10.0.0.1:443', caFile: '/etc/conveyor/ca/ca.crt' }, JWT);
    expect(kc.getCurrentCluster()).toMatchObject({
      server: 'https://10.0.0.1:443',
      caFile: '/etc/conveyor/ca/ca.crt',
      skipTLSVerify: false,
    });
    const user = kc.getCurrentUser()!;
    expect(user.token).toBe(JWT);
    for (const field of [
      'exec',
      'authProvider',
      'certData',
      'certFile',
      'keyData',
      'keyFile',
      'username',
      'password',
      'impersonateUser',
    ] as const) {
      expect(user[field], field).toBeUndefined();
    }
    expect(kc.getUsers()).toHaveLength(1);
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('default');
  });

  it('carries CA data and a namespace when given', () => {
    const kc = kubeConfigForToken({ server: 'https://h:6443', caData: 'UEVN', namespace: 'team-a' }, 'abc');
    expect(kc.getCurrentCluster()?.caData).toBe('UEVN');
    expect(kc.getContextObject(kc.getCurrentContext())?.namespace).toBe('team-a');
  });

  it('refuses what is not a token', () => {
    for (const bad of ['', 'a b', 'tok\n', 'x'.repeat(16 * 1024 + 1)])
      expect(() => kubeConfigForToken({ server: 'https://h:1' }, bad)).toThrow('not a bearer token');
  });
});

describe('bearerToken / parseAuthorization', () => {
  const cases: [string, string | string[] | undefined, ReturnType<typeof parseAuthorization>][] = [
    ['absent', undefined, { kind: 'none' }],
    ['empty', '', { kind: 'none' }],
    ['a JWT', `Bearer ${JWT}`, { kind: 'bearer', token: JWT }],
    ['scheme in any case', `bearer ${JWT}`, { kind: 'bearer', token: JWT }],
    ['padding allowed', 'Bearer abc==', { kind: 'bearer', token: 'abc==' }],
    [
      'Basic auth',
      'Basic dXNlcjpwYXNz',
      { kind: 'malformed', message: 'the Authorization header is not "Bearer <token>"' },
    ],
    ['no token', 'Bearer ', { kind: 'malformed', message: 'the Authorization header is not "Bearer <token>"' }],
    ['two words', 'Bearer abc def', { kind: 'malformed', message: 'the Authorization header is not "Bearer <token>"' }],
    [
      'trailing newline',
      'Bearer abc\n',
      { kind: 'malformed', message: 'the Authorization header is not "Bearer <token>"' },
    ],
    [
      'characters a token cannot have',
      'Bearer abc"<script>',
      { kind: 'malformed', message: 'the bearer token has characters a token cannot have, or is too long' },
    ],
    [
      'padding in the middle',
      'Bearer ab=c',
      { kind: 'malformed', message: 'the bearer token has characters a token cannot have, or is too long' },
    ],
    [
      'too long',
      `Bearer ${'a'.repeat(16 * 1024 + 1)}`,
      { kind: 'malformed', message: 'the bearer token has characters a token cannot have, or is too long' },
    ],
    [
      'two headers',
      [`Bearer ${JWT}`, 'Bearer other'],
      { kind: 'malformed', message: 'more than one Authorization header' },
    ],
  ];
  for (const [label, authorization, expected] of cases) {
    it(label, () => {
      expect(parseAuthorization({ authorization })).toEqual(expected);
      expect(bearerToken({ authorization })).toBe(expected.kind === 'bearer' ? expected.token : undefined);
    });
  }
});

describe('validateUser', () => {
  it('refuses a malformed token without asking anyone', async () => {
    expect(await validateUser({ server: 'https://127.0.0.1:1' }, 'a b')).toEqual({
      ok: false,
      status: 401,
      message: 'not a bearer token',
    });
  });

  it('says 502 with the cause when the API server cannot be reached', async () => {
    const check = await validateUser({ server: 'https://127.0.0.1:1' }, 'abc');
    expect(check).toMatchObject({
      ok: false,
      status: 502,
      message: expect.stringMatching(/^could not ask the Kubernetes API server who this token is: /),
    });
  });
});
