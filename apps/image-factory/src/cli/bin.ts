/** The `image-factory` process: run the CLI on argv and exit with its code. */
import { messageOf } from '../errors.js';
import { redact } from '../log/redact.js';
import { cleanUpOnSignals } from '../util/cleanup.js';
import { processIO, runCli } from './main.js';
import { EXIT_INVALID } from './usage.js';

cleanUpOnSignals();
// Exit as soon as the command is done: a git helper killed by --git-timeout can leave a grandchild holding our
// pipes open, and the Job must end with the command, not with whatever it started. (stdout and stderr writes are
// synchronous for files, pipes and terminals on Linux, so nothing written is lost.)
runCli(process.argv.slice(2), processIO()).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(redact(`image-factory: ${messageOf(error)}\n`));
    process.exit(EXIT_INVALID);
  },
);
