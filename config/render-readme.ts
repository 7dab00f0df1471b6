// `npm run docs:config`: rewrites the README's configuration reference (between its markers) from the settings table.
import { readFileSync, writeFileSync } from 'node:fs';
import { withReadmeReference } from './settings-docs.ts';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const updated = withReadmeReference(readme);
if (updated === readme) {
  console.log('README.md: the configuration reference is up to date');
} else {
  writeFileSync(file, updated);
  console.log('README.md: configuration reference rewritten from config/settings.ts');
}
