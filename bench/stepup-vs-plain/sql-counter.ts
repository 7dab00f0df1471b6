// Counts SQLite statement executions in a server process (bench-only: better-sqlite3's Statement methods wrapped).
import Database from 'better-sqlite3';

export interface SqlCounts {
  /** Executions by statement kind: select, insert, update, delete, and commit (explicit, or a write outside a transaction). */
  byKind: Record<string, number>;
  /** Executions by statement text (whitespace collapsed, truncated). */
  byStatement: Record<string, number>;
}

type Statement = { source: string; database: { inTransaction: boolean } };
type Method = (this: Statement, ...args: unknown[]) => unknown;

let counts: SqlCounts = { byKind: {}, byStatement: {} };
/** Each statement's text and kind, worked out once. */
const described = new Map<string, { text: string; kind: string; write: boolean }>();

function count(statement: Statement): void {
  let about = described.get(statement.source);
  if (!about) {
    const text = statement.source.replace(/\s+/g, ' ').trim().slice(0, 90);
    const kind = /^(\w+)/.exec(text)?.[1]?.toLowerCase() ?? 'other';
    about = { text, kind, write: kind === 'insert' || kind === 'update' || kind === 'delete' };
    described.set(statement.source, about);
  }
  counts.byStatement[about.text] = (counts.byStatement[about.text] ?? 0) + 1;
  if (about.kind !== 'commit') counts.byKind[about.kind] = (counts.byKind[about.kind] ?? 0) + 1;
  if (about.kind === 'commit' || (about.write && !statement.database.inTransaction)) counts.byKind.commit = (counts.byKind.commit ?? 0) + 1;
}

const METHODS = ['run', 'get', 'all', 'iterate'] as const;
let originals: Record<string, Method> | undefined;

function statementPrototype(): Record<string, Method> {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, Method>;
  probe.close();
  return prototype;
}

/**
 * Wraps run/get/all/iterate of every statement, those already prepared included (they share one prototype), while
 * counting; unwrapped again when counting stops, so that timed phases and profiles run without the wrapper.
 */
function wrap(on: boolean): void {
  const prototype = statementPrototype();
  if (on && !originals) {
    originals = Object.fromEntries(METHODS.map((name) => [name, prototype[name]!]));
    for (const name of METHODS) {
      const original = originals[name]!;
      prototype[name] = function counted(this: Statement, ...args: unknown[]) {
        count(this);
        return original.apply(this, args);
      };
    }
  } else if (!on && originals) {
    for (const name of METHODS) prototype[name] = originals[name]!;
    originals = undefined;
  }
}

/** The counts since the previous call; counting goes on only while `more` (it costs a little on every statement). */
export function takeSqlCounts(more: boolean): SqlCounts {
  const taken = counts;
  counts = { byKind: {}, byStatement: {} };
  wrap(more);
  return taken;
}
