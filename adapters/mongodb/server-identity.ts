// Which server answers: FerretDB says so in buildInfo (`ferretdbVersion`), MongoDB gives its version.
import type { Db } from 'mongodb';

export interface ServerIdentity {
  kind: 'MongoDB' | 'FerretDB';
  version: string;
  /** E.g. `FerretDB v1.24.2`, `MongoDB 8.0.4`. */
  label: string;
}

export async function serverIdentity(db: Db): Promise<ServerIdentity> {
  const info = await db.command({ buildInfo: 1 });
  if (typeof info.ferretdbVersion === 'string') return { kind: 'FerretDB', version: info.ferretdbVersion, label: `FerretDB ${info.ferretdbVersion}` };
  const version = String(info.version);
  return { kind: 'MongoDB', version, label: `MongoDB ${version}` };
}
