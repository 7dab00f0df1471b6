// A configuration problem found at start-up; the message names the setting and what to do.
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
