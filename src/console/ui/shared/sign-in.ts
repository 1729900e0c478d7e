// How the page is signed in, before anything else loads. On a laptop the one-time link made the
// session; in a cluster (`dashboard --in-cluster`) an auth proxy sends the person's token with
// every request, or the person pastes one here. The token goes to the Console's own server only
// (POST /api/login), which checks it with the API server and keeps it behind an HttpOnly cookie:
// this page never stores it.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';

export type SessionState = { kind: 'signed-in' } | { kind: 'sign-in' } | { kind: 'refused'; message: string };

export async function sessionState(): Promise<SessionState> {
  const res = await fetch('/api/session', { credentials: 'same-origin' });
  if (res.ok) return { kind: 'signed-in' };
  const message = await res.json().then(
    (b: { message?: string }) => b.message ?? '',
    () => '',
  );
  if (res.status === 401 && /^Bearer\b/i.test(res.headers.get('WWW-Authenticate') ?? '')) return { kind: 'sign-in' };
  return { kind: 'refused', message: message || `the Console answered ${res.status}` };
}

export function SignIn() {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    const res = await fetch('/api/login', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: token.trim() }),
    });
    setBusy(false);
    if (res.ok) return void location.reload();
    setError(
      await res.json().then(
        (b: { message?: string }) => b.message ?? `HTTP ${res.status}`,
        () => `HTTP ${res.status}`,
      ),
    );
  };
  return html`<main class="sign-in" data-testid="sign-in">
    <h1>Conveyor Console</h1>
    <p>This Console acts only with your own Kubernetes rights. Sign in through your organisation's proxy, or paste a bearer token (e.g. <code>kubectl create token NAME</code>, or your OIDC ID token).</p>
    <form onSubmit=${submit}>
      <label>Token <textarea data-testid="token" rows="4" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLTextAreaElement).value)} /></label>
      <button type="submit" disabled=${busy || token.trim() === ''}>Sign in</button>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
  </main>`;
}

export function Refused(props: { message: string }) {
  return html`<main class="sign-in"><h1>Conveyor Console</h1><p class="error" role="alert">${props.message}</p></main>`;
}
