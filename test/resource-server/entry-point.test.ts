// The package entry points resolve by name: "./resource-server" with its explicit exports, and "." still.
import { describe, expect, it } from 'vitest';

describe('package exports', () => {
  it('stepup-oidc/resource-server exports the guard, both middlewares, the header builder and the coded errors', async () => {
    const entry = await import('stepup-oidc/resource-server');
    expect(Object.keys(entry).sort()).toEqual(
      [
        'ERROR_TABLE',
        'GuardConfigError',
        'GuardError',
        'ReplayStoreFullError',
        'acceptedAcrValues',
        'bearerChallenge',
        'checkRequirement',
        'createGuard',
        'descriptionText',
        'dpopChallenge',
        'koaGuard',
        'ladderFromAcrValues',
        'levelOf',
        'memoryReplayStore',
        'nodeGuard',
        'quotedString',
        'routeRequirement',
      ].sort(),
    );
  });

  it('stepup-oidc (".") is the provider app', async () => {
    const entry = await import('stepup-oidc');
    expect(typeof entry.createApp).toBe('function');
  });
});
