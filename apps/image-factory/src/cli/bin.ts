/** The `image-factory` process: run the CLI on argv and exit with its code. */
import { messageOf } from '../errors.js';
import { redact } from '../log/redact.js';
import { processIO, runCli } from './main.js';
import { EXIT_INVALID } from './usage.js';

runCli(process.argv.slice(2), processIO()).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(redact(`image-factory: ${messageOf(error)}\n`));
    process.exitCode = EXIT_INVALID;
  },
);
