// The operator CLI: each command against an in-memory store, plus one run of the real executable.
import { cleanEnv } from '../support/clean-env.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import type { AuditEvent, Stores } from '../../adapters/types.ts';
import { AuthError, attemptKeys, decryptSecret, verifyPasswordHash } from '../../authenticators/index.ts';
import { DEFAULT_LADDER } from '../../config/ladder.ts';
import { parseAuthRequest } from '../../policy/request.ts';
import type { Decision } from '../../policy/types.ts';
import { decisionEvent, factorRefused, factorVerified } from '../../stepup/audit.ts';
import { loadConfig, type AppConfig } from '../../config/index.ts';
import { totpKeyring } from '../../config/keys.ts';
import { buildProvider } from '../../server/provider.ts';
import Database from 'better-sqlite3';
import { exportAudit, listAudit, queryAudit, verifyAudit } from '../../cli/audit-commands.ts';
import { addClient, listClients, type AddClientArgs } from '../../cli/client-commands.ts';
import { generateKeys } from '../../cli/keys-commands.ts';
import { addUser, enrollTotp, listUsers, passwordFromOptions, unlockUser } from '../../cli/user-commands.ts';
import { rejectsWith } from './rejects-with.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'stepup-cli-'));
let config: AppConfig;
let stores: Stores;
let lines: string[];
const out = (line: string) => void lines.push(line);

beforeAll(async () => {
  config = await loadConfig({ NODE_ENV: 'test', DATA_DIR: join(root, 'config'), STEPUP_SCRYPT_N: '1024' });
});
beforeEach(() => {
  stores = openSqliteStores({ file: ':memory:' });
  lines = [];
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('user add and list', () => {
  it('creates an account with a hashed password and lists it with its factors', async () => {
    await addUser(stores, config, { username: 'alice', password: 'correct horse' }, out);
    const account = (await stores.accounts.findByUsername('alice'))!;
    expect(account.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(account.passwordHash).toMatch(/^scrypt\$1024\$/);
    expect(await verifyPasswordHash('correct horse', account.passwordHash)).toBe(true);
    expect(lines).toEqual([`added user alice (id ${account.id})`]);

    lines = [];
    await listUsers(stores, config, {}, out);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^alice\\s+${account.id}\\s+\\d{4}-\\d{2}-\\d{2}T\\S+Z\\s+pwd$`));

    lines = [];
    await listUsers(stores, config, { json: true }, out);
    expect(JSON.parse(lines.join('\n'))).toEqual([{ username: 'alice', id: account.id, createdAt: expect.any(String), factors: ['pwd'] }]);
  });

  it('refuses a duplicate username, whatever its case', async () => {
    await addUser(stores, config, { username: 'alice', password: 'pw' }, out);
    await rejectsWith(addUser(stores, config, { username: 'Alice', password: 'other' }, out), 'conflict', /already exists/);
    expect(await stores.accounts.list()).toHaveLength(1);
  });

  it.each([
    ['an empty username', { username: '', password: 'pw' }, /username must not be empty/],
    ['a username with surrounding spaces', { username: ' bob', password: 'pw' }, /start or end with spaces/],
    ['an over-long username', { username: 'b'.repeat(257), password: 'pw' }, /longer than 256/],
    ['an empty password', { username: 'bob', password: '' }, /password must not be empty/],
    ['an over-long password', { username: 'bob', password: 'p'.repeat(1025) }, /longer than 1024/],
  ])('refuses %s', async (_case, args, message) => {
    await rejectsWith(addUser(stores, config, args, out), 'invalid_input', message);
    expect(await stores.accounts.list()).toEqual([]);
  });

  it('takes exactly one of --password and --password-stdin', async () => {
    const stdin = async () => 'from stdin';
    expect(await passwordFromOptions({ password: 'given' }, stdin)).toBe('given');
    expect(await passwordFromOptions({ passwordStdin: true }, stdin)).toBe('from stdin');
    await rejectsWith(passwordFromOptions({}, stdin), 'invalid_input', /exactly one/);
    await rejectsWith(passwordFromOptions({ password: 'given', passwordStdin: true }, stdin), 'invalid_input', /exactly one/);
  });
});

describe('user totp-enroll', () => {
  it('refuses a third authenticator app: each app multiplies the odds of a guessed code', async () => {
    await addUser(stores, config, { username: 'alice', password: 'pw' }, () => {});
    await enrollTotp(stores, config, { username: 'alice', label: 'Phone' }, out);
    await enrollTotp(stores, config, { username: 'alice', label: 'Spare' }, out);
    await rejectsWith(enrollTotp(stores, config, { username: 'alice', label: 'Third' }, out), 'conflict', /already has 2 authenticator apps/);
    const account = (await stores.accounts.findByUsername('alice'))!;
    expect(await stores.authenticators.listByAccount(account.id)).toHaveLength(2);
  });

  it('stores the secret encrypted, prints its otpauth URI and records the enrolment', async () => {
    await addUser(stores, config, { username: 'alice', password: 'pw' }, () => {});
    const account = (await stores.accounts.findByUsername('alice'))!;
    await enrollTotp(stores, config, { username: 'alice', label: 'Phone' }, out);

    const uri = new URL(lines[0]!);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.searchParams.get('issuer')).toBe(new URL(config.issuer).host);
    const secret = uri.searchParams.get('secret')!;
    expect(lines[1]).toContain(secret);
    expect(lines.slice(2).join('\n')).toMatch(/audit log/);

    const [stored] = await stores.authenticators.listByAccount(account.id);
    expect(stored).toMatchObject({ kind: 'totp', label: 'Phone', accountId: account.id });
    const sealed = stored!.data.secret as string;
    expect(sealed).not.toContain(secret);
    expect(await decryptSecret(sealed, totpKeyring(config.keys))).toBe(secret);

    expect(await stores.audit.list({ limit: 10 })).toEqual([
      {
        at: expect.any(Number),
        type: 'authenticator.enroll',
        outcome: 'success',
        factor: 'otp',
        accountId: account.id,
        reason: 'operator cli',
        operator: expect.any(String),
        authenticatorId: stored!.id,
      },
    ]);
    lines = [];
    await listUsers(stores, config, {}, out);
    expect(lines[0]).toMatch(/\spwd otp$/);
  });

  it('refuses an unknown user', async () => {
    await rejectsWith(enrollTotp(stores, config, { username: 'nobody' }, out), 'not_found', /no user named "nobody"/);
  });
});

describe('user unlock', () => {
  it("clears the user's password and code counters and records it", async () => {
    await addUser(stores, config, { username: 'alice', password: 'pw' }, () => {});
    const { id } = (await stores.accounts.findByUsername('alice'))!;
    const keys = [attemptKeys.password(id), attemptKeys.totp(id)].flatMap((key) => [key, attemptKeys.guesses(key)]);
    for (const key of keys) for (let i = 0; i < 3; i++) await stores.attempts.recordFailure(key, 1000);

    await unlockUser(stores, config, { username: 'alice' }, out);
    for (const key of keys) expect(await stores.attempts.get(key)).toBeUndefined();
    expect(lines[0]).toMatch(/cleared 3 failed password and 3 failed code attempts/);
    expect(await stores.audit.list({ accountId: id, type: 'account.unlock', limit: 10 })).toHaveLength(1);
  });
});

describe('client add and list', () => {
  const valid: AddClientArgs = { id: 'rp', secret: 'a-long-enough-client-secret', redirectUris: ['https://rp.example/cb'] };

  it('stores a first-party confidential client by default, which the provider loads', async () => {
    await addClient(stores, config, { ...valid, name: 'Relying party', minAcr: 'aal2', redirectUris: ['https://rp.example/cb', 'http://localhost:3001/cb'] }, out);
    expect(await stores.clients.get('rp')).toEqual({
      client_id: 'rp',
      client_secret: valid.secret,
      client_name: 'Relying party',
      redirect_uris: ['https://rp.example/cb', 'http://localhost:3001/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      first_party: true,
      stepup_min_acr: 'aal2',
    });
    await addClient(stores, config, { id: 'spa', public: true, thirdParty: true, redirectUris: ['http://127.0.0.1:8080/cb'] }, out);
    expect(await stores.clients.get('spa')).toMatchObject({ token_endpoint_auth_method: 'none', first_party: false });
    expect(await stores.clients.get('spa')).not.toHaveProperty('client_secret');

    const provider = buildProvider({ config, stores });
    expect((await provider.Client.find('rp'))?.metadata()).toMatchObject({ stepup_min_acr: 'aal2', first_party: true });
    expect((await provider.Client.find('spa'))?.metadata()).toMatchObject({ token_endpoint_auth_method: 'none' });
  });

  it('registers a back-channel logout URI that the provider loads, with the session id required', async () => {
    await addClient(stores, config, { ...valid, backchannelLogoutUri: 'https://rp.example/backchannel-logout' }, out);
    expect(await stores.clients.get('rp')).toMatchObject({ backchannel_logout_uri: 'https://rp.example/backchannel-logout', backchannel_logout_session_required: true });
    const loaded = await buildProvider({ config, stores }).Client.find('rp');
    expect([loaded?.backchannelLogoutUri, loaded?.backchannelLogoutSessionRequired]).toEqual(['https://rp.example/backchannel-logout', true]);
  });

  it('allows the operation types it names (authorization_details_types), which the provider loads', async () => {
    await addClient(stores, config, { ...valid, operationTypes: ['payment', 'payment'] }, out);
    expect(await stores.clients.get('rp')).toMatchObject({ authorization_details_types: ['payment'] });
    expect((await buildProvider({ config, stores }).Client.find('rp'))?.authorizationDetailsTypes).toEqual(['payment']);
  });

  it.each<[string, Partial<AddClientArgs>, RegExp]>([
    ['an operation type the policy does not declare', { operationTypes: ['payment', 'withdraw_all'] }, /"withdraw_all" is not an operation type/],
    ['a back-channel logout URI over http on another host', { backchannelLogoutUri: 'http://rp.example/logout' }, /uses http on a host other than localhost/],
    ['a back-channel logout URI with a fragment', { backchannelLogoutUri: 'https://rp.example/logout#x' }, /must not contain a fragment/],
    ['a back-channel logout URI that is not a URL', { backchannelLogoutUri: 'logout' }, /not an absolute URL/],
    ['a redirect URI that is not a URL', { redirectUris: ['/callback'] }, /not an absolute URL/],
    ['a redirect URI with another scheme', { redirectUris: ['ftp://rp.example/cb'] }, /must use https/],
    ['an http redirect URI off localhost', { redirectUris: ['http://rp.example/cb'] }, /uses http on a host other than localhost/],
    ['a redirect URI with a fragment', { redirectUris: ['https://rp.example/cb#x'] }, /fragment/],
    ['no redirect URI', { redirectUris: [] }, /at least one --redirect-uri/],
    ['the reserved account client id', { id: 'stepup-account' }, /reserved/],
    ['a public client with a secret', { public: true }, /no secret/],
    ['a confidential client without a secret', { secret: undefined }, /--secret/],
    ['a min acr not on the ladder', { minAcr: 'aal9' }, /not on the ladder/],
  ])('refuses %s', async (_case, change, message) => {
    await rejectsWith(addClient(stores, config, { ...valid, ...change }, out), 'invalid_input', message);
    expect(await stores.clients.list()).toEqual([]);
  });

  it('registers a resource server that signs nobody in but may introspect, which the provider loads', async () => {
    await addClient(stores, config, { id: 'api', secret: 'a-long-enough-api-secret', redirectUris: [], resourceServer: true }, out);
    expect(await stores.clients.get('api')).toMatchObject({ grant_types: [], response_types: [], redirect_uris: [], stepup_resource_server: true });
    const provider = buildProvider({ config, stores });
    expect((await provider.Client.find('api'))?.metadata()).toMatchObject({ stepup_resource_server: true });
    await rejectsWith(addClient(stores, config, { id: 'api2', public: true, redirectUris: [], resourceServer: true }, out), 'invalid_input', /--resource-server/);
  });

  it('accepts http off localhost with --allow-insecure-redirect', async () => {
    await addClient(stores, config, { ...valid, redirectUris: ['http://rp.test/cb'], allowInsecureRedirect: true }, out);
    expect(await stores.clients.get('rp')).toMatchObject({ redirect_uris: ['http://rp.test/cb'] });
  });

  it('refuses an existing id unless --update', async () => {
    await addClient(stores, config, valid, out);
    await rejectsWith(addClient(stores, config, { ...valid, name: 'Renamed' }, out), 'conflict', /--update/);
    await addClient(stores, config, { ...valid, name: 'Renamed', update: true }, out);
    expect(await stores.clients.get('rp')).toMatchObject({ client_name: 'Renamed' });
  });

  it('lists clients without their secrets', async () => {
    await addClient(stores, config, { ...valid, name: 'RP', minAcr: 'aal2' }, () => {});
    await listClients(stores, config, {}, out);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^rp\s+RP\s+first-party\s+confidential\s+min-acr=aal2\s+https:\/\/rp\.example\/cb$/);
    await listClients(stores, config, { json: true }, out);
    expect(lines.join('\n')).not.toContain(valid.secret);
    expect(JSON.parse(lines.slice(1).join('\n'))).toEqual([expect.not.objectContaining({ client_secret: expect.anything() })]);
  });
});

describe('keys generate', () => {
  it('prints export lines that a shell reads back into a valid production configuration', async () => {
    await generateKeys(out);
    expect(lines[0]).toMatch(/^# /);
    expect(lines.some((line) => /identical on every instance/.test(line) && /secret/.test(line))).toBe(true);
    const file = join(root, 'keys.env');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const names = ['STEPUP_JWKS', 'STEPUP_COOKIE_KEYS', 'STEPUP_TOTP_KEYS'];
    const shell = spawnSync('sh', ['-c', `. "${file}" && node -e 'console.log(JSON.stringify(process.env))'`], { encoding: 'utf8' });
    const env = JSON.parse(shell.stdout) as Record<string, string>;
    const vars = Object.fromEntries(names.map((name) => [name, env[name]]));

    const production = await loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example', DATA_DIR: join(root, 'prod'), ...vars });
    expect(production.keys.generated).toBe(false);
    expect(production.keys.jwks.keys.map((key) => key.alg)).toEqual(['RS256', 'ES256']);
    expect(production.keys.totpKeys[0]!.key).toHaveLength(32);
  });
});

describe('audit list', () => {
  it('shows the operator enrolment, filtered by account and type', async () => {
    await addUser(stores, config, { username: 'alice', password: 'pw' }, () => {});
    await addUser(stores, config, { username: 'bob', password: 'pw' }, () => {});
    await enrollTotp(stores, config, { username: 'alice' }, () => {});
    await unlockUser(stores, config, { username: 'bob' }, () => {});

    await listAudit(stores, config, {}, out);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/account\.unlock\s+success\s+account=bob/);
    expect(lines[1]).toMatch(/^\d{4}-\d{2}-\d{2}T\S+Z\s+authenticator\.enroll\s+success\s+account=alice\s+client=-.*reason=operator cli$/);
    expect(lines[1]).toMatch(/\soperator=\S+\s+reason=operator cli$/);

    lines = [];
    await listAudit(stores, config, { account: 'alice', type: 'authenticator.enroll', limit: 5 }, out);
    expect(lines).toEqual([expect.stringMatching(/authenticator\.enroll/)]);
    await rejectsWith(listAudit(stores, config, { limit: 0 }, out), 'invalid_input', /--limit/);
    await rejectsWith(listAudit(stores, config, { account: 'nobody' }, out), 'not_found', /no user/);
  });
});

describe('audit query, export and verify', () => {
  const T = Date.parse('2026-01-02T03:04:05Z');
  /** The clock the events are built with (epoch seconds), `seconds` after T. */
  const at = (seconds: number) => () => T / 1000 + seconds;
  let seeded: AuditEvent[] = [];

  beforeEach(async () => {
    await addUser(stores, config, { username: 'alice', password: 'pw' }, () => {});
    const alice = (await stores.accounts.findByUsername('alice'))!.id;
    const stepUp: Decision = { outcome: 'step_up', acr: 'aal2', level: DEFAULT_LADDER[1]!, factors: ['otp'], reason: 'aal2 requested' };
    seeded = [
      factorRefused(at(0), 'otp', new AuthError('invalid_credentials', 'wrong code'), { accountId: alice, clientId: 'rp-1' }),
      factorVerified(at(60), 'otp', { accountId: alice, clientId: 'rp-1' }),
      decisionEvent(at(120), stepUp, parseAuthRequest({ acr_values: 'aal2' }), { clientId: 'rp-2' }),
    ];
    for (const event of seeded) await stores.audit.append(event);
  });

  it('prints the matching events as JSON lines, oldest first, with seq and hash', async () => {
    await queryAudit(stores, config, { account: 'alice', client: 'rp-1' }, out);
    const events = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events.map((event) => [event.seq, event.outcome])).toEqual([
      [1, 'failure'],
      [2, 'success'],
    ]);
    expect(events[0]).toMatchObject({ type: 'factor.verify', at: T, clientId: 'rp-1', hash: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const seqs = async (args: Parameters<typeof queryAudit>[2]) => {
      lines = [];
      await queryAudit(stores, config, args, out);
      return lines.map((line) => (JSON.parse(line) as { seq: number }).seq);
    };
    expect(await seqs({ outcome: 'success' })).toEqual([2]);
    expect(await seqs({ type: 'policy.decision' })).toEqual([3]);
    expect(await seqs({ since: '2026-01-02T03:05:05Z' })).toEqual([2, 3]);
    expect(await seqs({ until: String(T + 60_000) })).toEqual([1, 2]);
    expect(await seqs({ since: '2026-01-02T03:05:00Z', until: '2026-01-02T03:06:00Z' })).toEqual([2]);
    expect(await seqs({ limit: 1 })).toEqual([1]);
    expect(await seqs({ client: 'rp-9' })).toEqual([]);

    await rejectsWith(queryAudit(stores, config, { outcome: 'maybe' }, out), 'invalid_input', /--outcome/);
    await rejectsWith(queryAudit(stores, config, { since: 'yesterday' }, out), 'invalid_input', /--since/);
    await rejectsWith(queryAudit(stores, config, { limit: 1001 }, out), 'invalid_input', /--limit/);
    await rejectsWith(queryAudit(stores, config, { account: 'nobody' }, out), 'not_found', /no user/);
  });

  it('exports every event in chain order as JSON lines', async () => {
    const file = join(root, 'export.jsonl');
    await exportAudit(stores, config, { out: file }, out);
    expect(lines).toEqual([`exported 3 audit events to ${file}`]);
    const exported = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(exported.map((event) => event.seq)).toEqual([1, 2, 3]);
    const chain = await stores.audit.readChain(0, 10);
    expect(exported).toEqual(chain.map(({ seq, v, hash, event }) => ({ seq, v, ...event, hash })));
  });

  it('reports an intact chain, and the first broken seq of a tampered one', async () => {
    await verifyAudit(stores, config, {}, out);
    expect(lines).toEqual(['chain intact: 3 events']);

    const dir = join(root, 'verify');
    const file = join(dir, 'stepup.sqlite');
    const onFile = openSqliteStores({ file });
    for (const event of seeded) await onFile.audit.append(event);
    const raw = new Database(file);
    raw.exec('DROP TRIGGER audit_events_no_update');
    raw.prepare(`UPDATE audit_events SET event = json_set(event, '$.outcome', 'success') WHERE seq = 1`).run();
    raw.close();
    await rejectsWith(verifyAudit(onFile, config, {}, out), 'conflict', /^audit chain broken at seq 1: hash mismatch/);
    await onFile.close();

    const env: NodeJS.ProcessEnv = { ...cleanEnv(), NODE_ENV: 'test', DATA_DIR: dir, STEPUP_SCRYPT_N: '1024' };
    for (const name of Object.keys(env)) if (name.startsWith('STEPUP_') && name !== 'STEPUP_SCRYPT_N') delete env[name];
    delete env.MONGODB_URI;
    const verify = spawnSync(process.execPath, ['bin/stepup.mjs', 'audit', 'verify'], { cwd: repo, env, encoding: 'utf8', timeout: 60_000 });
    expect(verify.status).toBe(1);
    expect(verify.stderr).toMatch(/^error: audit chain broken at seq 1: hash mismatch/);
  }, 60_000);
});

describe('the stepup executable', () => {
  it('adds a user from a password on standard input, then lists it', () => {
    const env: NodeJS.ProcessEnv = { ...cleanEnv(), NODE_ENV: 'test', DATA_DIR: join(root, 'e2e'), STEPUP_SCRYPT_N: '1024' };
    for (const name of Object.keys(env)) if (name.startsWith('STEPUP_') && name !== 'STEPUP_SCRYPT_N') delete env[name];
    const options = { cwd: repo, env, encoding: 'utf8', timeout: 60_000 } as const;

    const add = spawnSync('npx', ['tsx', 'cli/main.ts', 'user', 'add', 'alice', '--password-stdin'], { ...options, input: 'from stdin\n' });
    expect(add.status, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/^added user alice/);

    const list = spawnSync(process.execPath, ['bin/stepup.mjs', 'user', 'list'], options);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^alice\s/);

    const again = spawnSync(process.execPath, ['bin/stepup.mjs', 'user', 'add', 'alice', '--password', 'x'], options);
    expect(again.status).toBe(1);
    expect(again.stderr).toBe('error: a user named "alice" already exists (usernames are case-insensitive)\n');
  }, 120_000);
});
