// The configuration reference in docs/operations.md is the one rendered from config/settings.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readmeReference, readmeSection, README_END, README_START } from '../../config/settings-docs.ts';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

describe('the configuration reference in docs/operations.md', () => {
  it('sits between the markers under "## Configuration"', () => {
    const heading = doc.indexOf('\n## Configuration\n');
    const next = doc.indexOf('\n## ', heading + 1);
    expect(heading, 'docs/operations.md has a "## Configuration" section').toBeGreaterThan(0);
    expect(doc.indexOf(README_START), `${README_START} under "## Configuration"`).toBeGreaterThan(heading);
    expect(doc.indexOf(README_END), `${README_END} before the next section`).toBeLessThan(next);
  });

  it('matches config/settings.ts', () => {
    expect(readmeSection(doc), 'docs/operations.md is out of date with config/settings.ts: run `npm run docs:config`').toBe(readmeReference());
  });
});
