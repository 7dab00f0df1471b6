// The README's configuration reference is the one rendered from config/settings.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readmeReference, readmeSection, README_END, README_START } from '../../config/settings-docs.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the README configuration reference', () => {
  it('sits between the markers under "## Configuration"', () => {
    const heading = readme.indexOf('\n## Configuration\n');
    const next = readme.indexOf('\n## ', heading + 1);
    expect(heading, 'README.md has a "## Configuration" section').toBeGreaterThan(0);
    expect(readme.indexOf(README_START), `${README_START} under "## Configuration"`).toBeGreaterThan(heading);
    expect(readme.indexOf(README_END), `${README_END} before the next section`).toBeLessThan(next);
  });

  it('matches config/settings.ts', () => {
    expect(readmeSection(readme), 'README.md is out of date with config/settings.ts: run `npm run docs:config`').toBe(readmeReference());
  });
});
