// The test process's environment without the provider's own settings, for child processes that must not inherit them
// (e.g. MONGODB_URI, which CI sets for the MongoDB suites, would send a child to the shared FerretDB database).
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(STEPUP_|MONGODB_)/.test(name) || ['NODE_ENV', 'PORT', 'HOST', 'ISSUER', 'DATA_DIR', 'LOG_LEVEL'].includes(name)) delete env[name];
  }
  return env;
}
