/** The `image-factory` process: run the CLI on argv and exit with its code. */
import { messageOf } from '../errors.js';
import { redact } from '../log/redact.js';
import { cleanUpOnSignals } from '../util/cleanup.js';
import { processIO, runCli } from './main.js';
import { EXIT_INVALID } from './usage.js';

cleanUpOnSignals();
/**
 * Resolve once everything written to `stream` has left the process. A write to a pipe that the reader has not
 * drained yet is queued (only 64 KiB fit in a Linux pipe), and process.exit drops the queue: `status --json | jq`
 * would read a cut document. A reader that went away (EPIPE) ends the wait too.
 */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('drain', resolve);
    stream.once('error', resolve);
    stream.once('close', resolve);
  });
}

// Exit as soon as the command is done and its output is written: a git helper killed by --git-timeout can leave
// a grandchild holding our pipes open, and the Job must end with the command, not with whatever it started.
async function exit(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

runCli(process.argv.slice(2), processIO()).then(
  (code) => exit(code),
  (error: unknown) => {
    process.stderr.write(redact(`image-factory: ${messageOf(error)}\n`));
    return exit(EXIT_INVALID);
  },
);
