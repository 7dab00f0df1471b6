// `npm run bench:rs`: guard verifications per second next to a bare jose jwtVerify of the same token, in the same run;
// and a DPoP-bound token with its proof (RFC 9449) next to the two bare jose verifications it takes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { createGuard } from '../resource-server/index.ts';

const ROUNDS = 3;
const MAX_ITERATIONS = 20_000;
/** DPoP proofs are single-use (jti): each guard iteration needs its own, made before the clock starts. */
const PROOFS = 24_000;
const MAX_MS_PER_ROUND = 2_000;
const WARM_UP = 500;
const AUDIENCE = 'https://api.example';

async function measure(name: string, verify: () => Promise<unknown>, maxIterations = MAX_ITERATIONS): Promise<number> {
  let count = 0;
  const started = performance.now();
  while (count < maxIterations && performance.now() - started < MAX_MS_PER_ROUND) {
    await verify();
    count += 1;
  }
  const perSecond = count / ((performance.now() - started) / 1000);
  if (!Number.isFinite(perSecond) || count === 0) throw new Error(`${name}: no iteration completed`);
  return perSecond;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const { privateKey, publicKey } = await generateKeyPair('ES256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'ES256', use: 'sig' };
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ keys: [jwk] }));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const jwksUri = `${issuer}/jwks`;

try {
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ scope: 'api:read api:write', acr: 'aal2', amr: ['pwd', 'otp', 'mfa'], auth_time: now - 10, client_id: 'demo-rp' })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setSubject('account-1')
    .setJti('bench-jti')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);

  // Both sides use a remote JWKS fetched once and then cached: the difference is what the guard adds.
  const guard = createGuard({ issuer, audience: AUDIENCE, jwksUri, ladder: ['aal1', 'aal2', 'phr'] });
  const protect = guard.protect({ acr: 'aal2', maxAge: 300, scope: 'api:write' });
  const header = `Bearer ${token}`;
  const keys = createRemoteJWKSet(new URL(jwksUri));
  const options = { issuer, audience: AUDIENCE, typ: 'at+jwt', algorithms: ['ES256'], clockTolerance: 5, requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'] };

  const viaGuard = async () => {
    const result = await protect(header);
    if (!result.ok) throw new Error(`the guard refused the benchmark token: ${result.error.code}`);
  };
  const bare = () => jwtVerify(token, keys, options);

  // The DPoP side: a token bound to the client's key (cnf.jkt), and one fresh proof per request.
  const client = await generateKeyPair('ES256');
  const clientJwk = await exportJWK(client.publicKey);
  const jkt = await calculateJwkThumbprint(clientJwk, 'sha256');
  const boundToken = await new SignJWT({ scope: 'api:write', acr: 'aal2', amr: ['pwd', 'otp', 'mfa'], auth_time: now - 10, client_id: 'demo-rp', cnf: { jkt } })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'bench' })
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setSubject('account-1')
    .setJti('bench-dpop-jti')
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  const htu = 'https://api.example/transfer';
  const ath = createHash('sha256').update(boundToken).digest('base64url');
  const madeAt = Math.floor(Date.now() / 1000);
  const proofs: string[] = [];
  for (let index = 0; index < PROOFS + WARM_UP; index += 1) {
    proofs.push(await new SignJWT({ jti: `proof-${index}`, htm: 'POST', htu, iat: madeAt, ath }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: clientJwk }).sign(client.privateKey));
  }
  const dpopGuard = createGuard({ issuer, audience: AUDIENCE, jwksUri, ladder: ['aal1', 'aal2', 'phr'], dpop: { maxAge: 600 } });
  const protectDpop = dpopGuard.protect({ acr: 'aal2', maxAge: 300, scope: 'api:write', dpop: true });
  let next = 0;
  const viaGuardDpop = async () => {
    const result = await protectDpop({ authorization: `DPoP ${boundToken}`, dpop: proofs[next++], method: 'POST', url: htu });
    if (!result.ok) throw new Error(`the guard refused the DPoP benchmark request: ${result.error.code}`);
  };
  // The least any DPoP check costs: the token and one proof through jwtVerify (the same proof, no replay check).
  const proof = proofs[0]!;
  const bareDpop = async () => {
    await jwtVerify(boundToken, keys, options);
    await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] });
  };

  for (let index = 0; index < WARM_UP; index += 1) {
    await viaGuard();
    await bare();
    await viaGuardDpop();
    await bareDpop();
  }
  const results = { guard: [] as number[], jose: [] as number[], guardDpop: [] as number[], joseDpop: [] as number[] };
  // Interleaved rounds, so that drift (JIT, GC, a busy machine) touches every side alike.
  for (let round = 0; round < ROUNDS; round += 1) {
    results.jose.push(await measure('jose', bare));
    results.guard.push(await measure('guard', viaGuard));
    results.joseDpop.push(await measure('jose token + proof', bareDpop));
    results.guardDpop.push(await measure('guard with DPoP', viaGuardDpop, Math.floor(PROOFS / ROUNDS)));
  }
  const guardRate = median(results.guard);
  const joseRate = median(results.jose);
  const guardDpopRate = median(results.guardDpop);
  const joseDpopRate = median(results.joseDpop);
  const format = (rate: number) => `${Math.round(rate).toLocaleString('en-US').padStart(9)} verifications/s`;
  console.log(`resource-server guard benchmark (ES256 JWT access token, Node ${process.version}, median of ${ROUNDS} rounds, each at most ${MAX_ITERATIONS} iterations or ${MAX_MS_PER_ROUND} ms)`);
  console.log(`  bare jose jwtVerify:                                        ${format(joseRate)}`);
  console.log(`  guard (verify + acr rank + max_age + scope):                ${format(guardRate)}`);
  console.log(`  bare jose jwtVerify of the token and of a DPoP proof:       ${format(joseDpopRate)}`);
  console.log(`  guard with DPoP (+ proof: typ, alg, jwk, htm, htu, iat, ath, jkt, jti replay): ${format(guardDpopRate)}`);
  console.log(`  ratio guard / jose: ${(guardRate / joseRate).toFixed(2)} (1.00 = no overhead)`);
  console.log(`  ratio guard with DPoP / jose token + proof: ${(guardDpopRate / joseDpopRate).toFixed(2)} (1.00 = no overhead beyond the two signatures)`);
  console.log(`  ratio guard with DPoP / guard: ${(guardDpopRate / guardRate).toFixed(2)} (what DPoP costs a request)`);
} finally {
  server.closeAllConnections();
  server.close();
}
