// Sign-out and offline access, a stated decision with a switch: by default a refresh token from offline_access outlives
// the sign-out (offline access is meant to), with STEPUP_SIGNOUT_REVOKES_OFFLINE=1 the sign-out revokes it too.
import { describe, expect, it } from 'vitest';
import { expectPage } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { holdings, stillWorks, type Holdings } from './harness/cut-off.ts';
import type { RunningProvider } from './harness/provider.ts';
import { useProvider } from './harness/use-provider.ts';

async function signOutEverywhere(provider: RunningProvider, held: Holdings): Promise<void> {
  const confirm = expectPage(await held.browser.request(`${provider.issuer}/session/end`));
  const form = confirm.document.querySelector('form#op\\.logoutForm')!;
  const body = new URLSearchParams({ xsrf: form.querySelector('input[name=xsrf]')!.getAttribute('value')!, logout: 'yes' });
  const done = expectPage(await held.browser.request(new URL(form.getAttribute('action')!, confirm.url).href, { method: 'POST', body }));
  expect(done.document.querySelector('h1')?.text).toBe('You are signed out');
}

describe.each([
  ['by default', {}, true],
  ['with STEPUP_SIGNOUT_REVOKES_OFFLINE=1', { STEPUP_SIGNOUT_REVOKES_OFFLINE: '1' }, false],
])('signing out %s', (_name, env, survives) => {
  const { provider, rp } = useProvider({ env });

  it(`${survives ? 'keeps' : 'revokes'} the offline refresh token; the session ends either way`, async () => {
    const account = await createAccount(provider);
    const held = await holdings(rp, account);
    const other = await holdings(rp, account);
    await signOutEverywhere(provider, held);
    expect((await stillWorks(rp, held)).refresh).toBe(survives);
    // Another browser's sign-in (its own session and grant) is not this sign-out's business.
    expect(await stillWorks(rp, other)).toEqual({ refresh: true, introspection: true });
  });
});
