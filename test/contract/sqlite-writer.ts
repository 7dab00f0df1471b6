// A separate process writing to a shared SQLite file, as a cluster's worker does (run with tsx by sqlite-processes.test.ts):
// opens the stores (migrating a new file), says "ready", waits for the go file, then writes attempts, a limiter's
// transaction, auth events and audit events (batched together) in a loop, and prints what it did as JSON.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { DEFAULT_LIMITER_POLICY } from '../../authenticators/attempt-limiter.ts';
import { reserveGuess } from '../../authenticators/guess.ts';

const [file, name, countText, goFile] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countText);
const now = Math.floor(Date.now() / 1000);

const stores = openSqliteStores({ file });
process.stdout.write('ready\n');
for (let waited = 0; !existsSync(goFile); waited += 10) {
  if (waited > 30_000) throw new Error('no go file within 30 s');
  await sleep(10);
}

let slowestMs = 0;
const started = Date.now();
for (let i = 0; i < count; i++) {
  const before = Date.now();
  await stores.attempts.recordFailure('shared', now);
  const guess = await reserveGuess(`pwd:${name}`, {
    attempts: stores.attempts,
    limiterPolicy: { ...DEFAULT_LIMITER_POLICY, freeAttempts: 10 * count, lockAfter: 10 * count },
    clientAddress: [{ key: '192.0.2.1', scale: 1 }],
    addressLimit: { maxFailures: 100 * count, windowSeconds: 3600 },
    now,
  });
  await guess.wrong();
  // Asked for together: one shared transaction (adapters/sqlite/write-batches.ts) of an event and two audit links,
  // chained between the other processes' batches.
  const failure = { type: 'factor.verify', outcome: 'failure', refusal: 'invalid_credentials', reason: 'wrong password', factor: 'pwd', accountId: name } as const;
  await Promise.all([
    stores.events.append(`session-${name}`, [{ id: `${name}-${i}`, accountId: name, factor: 'pwd', amr: ['pwd'], at: now }], now + 3600),
    stores.audit.append({ at: Date.now(), ...failure }),
    stores.audit.append({ at: Date.now(), ...failure }),
  ]);
  slowestMs = Math.max(slowestMs, Date.now() - before);
}
await stores.close();
process.stdout.write(`${JSON.stringify({ name, count, slowestMs, totalMs: Date.now() - started })}\n`);
