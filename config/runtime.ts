// Node.js version policy: Node 22 LTS is the target; 20.19+ still runs (with a warning) outside production.
export interface RuntimeVerdict {
  ok: boolean;
  warning?: string;
}

export function checkRuntime(version: string, production: boolean): RuntimeVerdict {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    return { ok: false, warning: `Node.js ${version} is too old: Node 22 LTS is required (20.19+ for development only).` };
  }
  if (major === 20) {
    const warning = `Node.js ${version} is end-of-life; run on Node 22 LTS.`;
    return production ? { ok: false, warning: `${warning} Refusing to start in production.` } : { ok: true, warning };
  }
  return { ok: true };
}
