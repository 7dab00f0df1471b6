// `npm run docs:config`: rewrites the configuration reference in docs/operations.md (between its markers) from the settings table.
import { readFileSync, writeFileSync } from 'node:fs';
import { withReadmeReference } from './settings-docs.ts';

const file = new URL('../docs/operations.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const updated = withReadmeReference(text);
if (updated === text) {
  console.log('docs/operations.md: the configuration reference is up to date');
} else {
  writeFileSync(file, updated);
  console.log('docs/operations.md: configuration reference rewritten from config/settings.ts');
}
