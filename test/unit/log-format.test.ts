// Development logs read well at a terminal; everywhere else they stay one JSON object per line.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, prettyLogs } from '../../server/logger.ts';

describe('prettyLogs: readable lines only for a person at a development terminal', () => {
  it.each<[string | undefined, boolean | undefined, boolean]>([
    ['development', true, true],
    [undefined, true, true],
    ['development', false, false],
    ['development', undefined, false],
    ['production', true, false],
    ['test', true, false],
  ])('NODE_ENV=%s, stdout a TTY: %s → %s', (nodeEnv, stdoutIsTTY, pretty) => {
    expect(prettyLogs({ nodeEnv, stdoutIsTTY })).toBe(pretty);
  });
});

describe('createLogger with a destination (a pipe, a collector, a test)', () => {
  it('writes JSON lines with secrets redacted, whatever the terminal', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => void (lines.push(String(chunk)), done()) });
    createLogger('info', sink as unknown as Parameters<typeof createLogger>[1]).info({ password: 'hunter2' }, 'signed in');
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'signed in', password: '[redacted]', level: 30 });
  });
});
