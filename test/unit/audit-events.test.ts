// The audit event builders: time from the injected clock (stored in milliseconds), structured refusals, and metrics
// that count by those fields and never by the human reason.
import { describe, expect, it } from 'vitest';
import { AuthError } from '../../authenticators/index.ts';
import type { AuditEvent } from '../../adapters/types.ts';
import { auditTime, factorRefused, factorVerified, operatorEvent, recoveryOpened } from '../../stepup/audit.ts';
import { createMetrics } from '../../server/metrics.ts';

const now = () => 1_767_323_045;
const where = { accountId: 'acc-1', clientId: 'rp-1', sessionUid: 'uid-1' };

describe('audit time', () => {
  it('is the injected clock, in the epoch milliseconds the log has always kept', () => {
    expect(auditTime(now)).toBe(1_767_323_045_000);
    expect(factorVerified(now, 'pwd', where)).toEqual({ at: 1_767_323_045_000, type: 'factor.verify', outcome: 'success', factor: 'pwd', ...where });
  });
});

describe('a refused factor', () => {
  it.each([
    ['a wrong guess', new AuthError('invalid_credentials', 'wrong'), where, { refusal: 'invalid_credentials', reason: 'invalid_credentials' }],
    ["the account's back-off", new AuthError('throttled', 'later', 30), where, { refusal: 'throttled', limit: 'account', reason: 'throttled' }],
    ["the account's lock", new AuthError('locked', 'locked'), where, { refusal: 'locked', limit: 'account', reason: 'locked' }],
    ["the address's limit", new AuthError('throttled', 'later', 30, 'address'), where, { refusal: 'throttled', limit: 'address', reason: 'throttled (client address)' }],
    ['an unknown username', new AuthError('invalid_credentials', 'wrong'), { clientId: 'rp-1' }, { refusal: 'invalid_credentials', reason: 'invalid_credentials (unknown username)' }],
  ] as const)('records %s as a refusal code and whose limit', (_case, error, at, expected) => {
    const event = factorRefused(now, 'pwd', error, at);
    expect(event).toEqual({ at: 1_767_323_045_000, type: 'factor.verify', outcome: 'failure', factor: 'pwd', ...at, ...expected });
  });
});

describe('events that cut access off', () => {
  const revocation = { sessions: 2, grants: 1, tokens: 3, notified: 1, failed: [{ clientId: 'rp-down', error: 'HTTP 500' }] };

  it('keep the counts, not the relying parties that refused their notice', () => {
    expect(recoveryOpened(now, 'link', revocation, where)).toMatchObject({ via: 'link', reason: "operator's recovery link", revoked: { sessions: 2, grants: 1, tokens: 3, notified: 1 } });
    expect(recoveryOpened(now, 'code', revocation, where).revoked).not.toHaveProperty('failed');
    const event = operatorEvent(now, { operator: 'carol', approvedBy: 'dave', reason: 'ticket 3' }, { type: 'account.reset', accountId: 'acc-1', revoked: revocation });
    expect(event).toEqual({
      at: 1_767_323_045_000,
      type: 'account.reset',
      outcome: 'success',
      accountId: 'acc-1',
      operator: 'carol',
      approvedBy: 'dave',
      reason: 'ticket 3',
      revoked: { sessions: 2, grants: 1, tokens: 3, notified: 1 },
    });
  });
});

describe('metrics', () => {
  async function sample(events: AuditEvent[], name: string): Promise<string[]> {
    const metrics = createMetrics();
    events.forEach((event) => metrics.observe(event));
    return (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith(`${name}{`));
  }

  it('count limit hits from the refusal and limit fields, whatever the reason says', async () => {
    const misleading: AuditEvent = { at: 0, type: 'factor.verify', outcome: 'failure', factor: 'otp', refusal: 'invalid_credentials', reason: 'locked out, throttled' };
    const address = factorRefused(now, 'pwd', new AuthError('throttled', 'x', 5, 'address'), where);
    const account = factorRefused(now, 'pwd', new AuthError('locked', 'x'), where);
    expect(await sample([misleading, address, account], 'stepup_attempt_limit_hits_total')).toEqual([
      'stepup_attempt_limit_hits_total{factor="pwd",reason="throttled",limit="address"} 1',
      'stepup_attempt_limit_hits_total{factor="pwd",reason="locked",limit="account"} 1',
    ]);
  });

  it('count decisions by their decision field', async () => {
    const base = { at: 0, type: 'policy.decision' as const, accountId: 'acc-1', requestedAcr: ['aal2'] };
    const events: AuditEvent[] = [
      { ...base, decision: 'step_up', outcome: 'info', reason: 'satisfied: not yet', factors: ['otp'] },
      { ...base, decision: 'satisfied', outcome: 'success', achievedAcr: 'aal2', amr: ['pwd', 'otp'], satisfaction: 'stepped_up', factors: ['otp'] },
    ];
    expect(await sample(events, 'stepup_decisions_total')).toEqual([
      'stepup_decisions_total{requested="aal2",achieved="none",outcome="step_up",satisfaction="none"} 1',
      'stepup_decisions_total{requested="aal2",achieved="aal2",outcome="satisfied",satisfaction="stepped_up"} 1',
    ]);
  });
});
