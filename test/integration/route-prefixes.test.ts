// Our routers are tried only for paths under their prefixes (interactions/index.ts): every page is still reached as
// the routers match it (case-insensitively, with or without a trailing slash). That other paths skip the routers is not
// visible from outside (a router that is tried matches none of them either): the profile shows it (bench/results/profile.md).
import { describe, expect, it } from 'vitest';
import { useProvider } from './harness/use-provider.ts';

const { provider } = useProvider();

async function get(path: string) {
  const response = await fetch(new URL(path, provider.issuer), { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), type: response.headers.get('content-type') };
}

describe('route prefixes', () => {
  it('serves the static assets and the favicon', async () => {
    expect(await get('/static/app.css')).toMatchObject({ status: 200, type: expect.stringContaining('text/css') });
    expect(await get('/favicon.ico')).toMatchObject({ status: 200, type: expect.stringContaining('image/svg+xml') });
  });

  it('reaches a page however its path is cased, or with a trailing slash, as the router matches it', async () => {
    const plain = await get('/account/login');
    expect(plain.status).toBe(302);
    expect(plain.location).toContain('/auth?');
    for (const path of ['/ACCOUNT/Login', '/account/login/']) {
      const other = await get(path);
      expect(other.status, path).toBe(302);
      expect(other.location, path).toContain('/auth?');
    }
    expect((await get('/Static/app.css')).status).toBe(200);
  });
});
