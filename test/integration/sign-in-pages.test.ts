// What the sign-in pages lead with: the passkey when only a passkey can meet the request, the password otherwise; levels in words; the icon.
import { describe, expect, it } from 'vitest';
import { Browser, expectPage } from './harness/browser.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const { provider, rp } = useProvider({}, { client_name: 'Shop' });

/** The sign-in forms in page order, by what they post to, and whether each one's button is the secondary one. */
async function firstPage(params: Record<string, string>) {
  const resource = params.resource && provider.api;
  const page = expectPage((await rp.start(new Browser(CALLBACK), { ...params, ...(resource && { resource }) })).step);
  const forms = page.document
    .querySelectorAll('form')
    .map((form) => ({ posts: (form.getAttribute('action') ?? '').split('/').pop(), secondary: form.querySelector('button')?.classList.contains('secondary') ?? false }))
    .filter((form) => form.posts === 'password' || form.posts === 'passkey');
  return { page, forms, text: page.document.querySelector('main')!.text.replace(/\s+/g, ' ') };
}

describe('before anyone is signed in', () => {
  it.each<[string, Record<string, string>]>([
    ['acr_values=phr', { acr_values: 'phr' }],
    ['an essential acr claim of phr', { claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['phr'] } } }) }],
    ['the payments scope of the API, which the policy ties to phr', { scope: 'openid payments', resource: 'the API' }],
  ])('%s: only a passkey can do, so the passkey leads and the password comes second', async (_name, params) => {
    const { page, forms, text } = await firstPage(params);
    expect(page.document.querySelector('h1')?.text).toBe('Sign in with your passkey');
    expect(forms).toEqual([
      { posts: 'passkey', secondary: false },
      { posts: 'password', secondary: true },
    ]);
    expect(page.document.querySelector('.why')?.text).toMatch(/^Shop asks for phishing-resistant sign-in with a passkey/);
    expect(text).toContain('you will be asked for a passkey after it');
    // The level in words; the code is for tokens and the audit.
    expect(text).not.toMatch(/\bphr\b/);
  });

  it.each<[string, Record<string, string>]>([
    ['no acr_values', {}],
    ['acr_values=aal2 (the password and a code can do)', { acr_values: 'aal2' }],
    ['acr_values="phr aal1" (the password can do the second)', { acr_values: 'phr aal1' }],
  ])('%s: the password leads, the passkey is offered second', async (_name, params) => {
    const { page, forms } = await firstPage(params);
    expect(page.document.querySelector('h1')?.text).toBe('Sign in');
    expect(forms).toEqual([
      { posts: 'password', secondary: false },
      { posts: 'passkey', secondary: true },
    ]);
  });

  it('names the application by its client_name, and Cancel does not look like a sign-in button', async () => {
    const { page } = await firstPage({});
    expect(page.document.querySelector('.why')?.text).toBe('Sign in to continue to Shop.');
    const cancel = page.document.querySelectorAll('button').find((button) => button.text === 'Cancel');
    expect(cancel?.classList.contains('cancel')).toBe(true);
    expect(cancel?.classList.contains('secondary')).toBe(false);
  });
});

describe('the icon', () => {
  it('answers /favicon.ico (browsers ask for it on their own) and /static/favicon.svg, which every page links', async () => {
    for (const path of ['/favicon.ico', '/static/favicon.svg']) {
      const response = await fetch(`${provider.issuer}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe('image/svg+xml');
      expect(await response.text(), path).toMatch(/^<svg /);
    }
    const { page } = await firstPage({});
    expect(page.document.querySelector('link[rel=icon]')?.getAttribute('href')).toBe('/static/favicon.svg');
  });
});
