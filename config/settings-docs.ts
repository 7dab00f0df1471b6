// The settings table as text: the CLI's environment help and the configuration reference in docs/operations.md.
import { z } from 'zod';
import { SETTING_GROUPS, SETTINGS, type Setting, type SettingGroup } from './settings.ts';

export const README_START = '<!-- config:start -->';
export const README_END = '<!-- config:end -->';

const UNITS: Array<[seconds: number, name: string]> = [
  [24 * 3600, 'day'],
  [3600, 'hour'],
  [60, 'minute'],
];

/** 2592000 → "30 days"; a count of seconds that is no whole number of minutes stays "45 s". */
function duration(seconds: number): string {
  if (seconds === 0) return '0';
  const unit = UNITS.find(([size]) => seconds >= size && seconds % size === 0);
  if (!unit) return `${seconds} s`;
  const count = seconds / unit[0];
  return `${count} ${unit[1]}${count === 1 ? '' : 's'}`;
}

const code = (value: unknown) => `\`${String(value)}\``;

/** What the schema accepts, when it says so: an enumeration's values or a number's bounds (Markdown). */
function accepted(entry: Setting): string | undefined {
  const { schema } = entry;
  if (schema instanceof z.ZodEnum) {
    const values = schema.options.map(code);
    return `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
  }
  if (schema instanceof z.ZodNumber && schema.minValue !== null && schema.maxValue !== null) {
    const bound = (value: number) => (entry.seconds ? duration(value) : String(value));
    return `${bound(schema.minValue)} to ${bound(schema.maxValue)}`;
  }
  return undefined;
}

/** The default (Markdown): the value the schema applies, with its duration, or what loadConfig does when the variable is unset. */
function defaultOf(entry: Setting): { value: string; duration?: string } {
  if (entry.default === undefined) return { value: entry.unset ?? 'unset' };
  const seconds = entry.seconds && typeof entry.default === 'number' && entry.default >= 60;
  return { value: code(entry.default), ...(seconds && { duration: duration(entry.default as number) }) };
}

function byGroup(): Array<[title: string, entries: Setting[]]> {
  return (Object.keys(SETTING_GROUPS) as SettingGroup[]).map((group) => [SETTING_GROUPS[group], SETTINGS.filter((entry) => entry.group === group)]);
}

const plain = (markdown: string) => markdown.replaceAll('`', '');

/** One line per setting, grouped, for `stepup --help`. */
export function environmentHelp(): string {
  const width = Math.max(...SETTINGS.map((entry) => entry.env.length)) + 2;
  return byGroup()
    .map(([title, entries]) => {
      const lines = entries.map((entry) => {
        const values = accepted(entry);
        const { value, duration } = defaultOf(entry);
        const suffix = `(${values ? `${plain(values)}; ` : ''}default: ${plain(value)}${duration ? ` s = ${duration}` : ''})`;
        return `    ${entry.env.padEnd(width)}${plain(entry.description)} ${suffix}`;
      });
      return [`  ${title}:`, ...lines].join('\n');
    })
    .join('\n');
}

const cell = (markdown: string) => markdown.replaceAll('|', '\\|');

/** The README's reference: a table per group, one row per setting. */
export function readmeReference(): string {
  const sections = byGroup().map(([title, entries]) => {
    const rows = entries.map((entry) => {
      const values = accepted(entry);
      const meaning = `${entry.description}${values ? ` (${values})` : ''}${entry.details ? `; ${entry.details}` : ''}`;
      const { value, duration } = defaultOf(entry);
      return `| ${code(entry.env)} | ${cell(duration ? `${value} (${duration})` : value)} | ${cell(meaning)} |`;
    });
    return [`**${title}**`, '', '| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
  });
  return ['<!-- Generated from config/settings.ts by `npm run docs:config`: edit the descriptions there. -->', ...sections].join('\n\n');
}

/** The README's text between the markers (without them), or undefined when a marker is missing. */
export function readmeSection(readme: string): string | undefined {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + README_START.length, end).trim();
}

/** The README with the reference between the markers replaced by the current one. */
export function withReadmeReference(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md needs ${README_START} and ${README_END} around the configuration reference`);
  return `${readme.slice(0, start + README_START.length)}\n\n${readmeReference()}\n\n${readme.slice(end)}`;
}
