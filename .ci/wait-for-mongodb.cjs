#!/usr/bin/env node
// Waits until the MongoDB-protocol server at the URI answers `ping` (at most the given seconds), with the project's
// own driver; exits 1 if it does not, or as soon as the server's process (--pid) has exited.
const { MongoClient } = require('mongodb');

const [uri, seconds = '60', pidFlag, pid] = process.argv.slice(2);
if (!uri || (pidFlag !== undefined && pidFlag !== '--pid')) {
  console.error('usage: node .ci/wait-for-mongodb.cjs <uri> [seconds] [--pid <server pid>]');
  process.exit(2);
}
const deadline = Date.now() + Number(seconds) * 1000;

function alive() {
  if (!pid) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}

(async () => {
  let last;
  while (Date.now() < deadline && alive()) {
    const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1000, connectTimeoutMS: 1000 });
    try {
      await client.db('admin').command({ ping: 1 });
      const info = await client.db('admin').command({ buildInfo: 1 });
      console.log(`${uri} answers ping: ${info.ferretdbVersion ? `FerretDB ${info.ferretdbVersion}` : `MongoDB ${info.version}`}`);
      process.exit(0);
    } catch (error) {
      last = error;
    } finally {
      await client.close().catch(() => undefined);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  console.error(`${uri} did not answer ping within ${seconds} s${alive() ? '' : ' (its process exited)'}: ${last?.message ?? 'no attempt'}`);
  process.exit(1);
})();
