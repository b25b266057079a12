// image-factory's loader in the cluster (hand-written, committed; scripts/bundle.mjs explains why the tool is
// compressed): `node /opt/image-factory/run.mjs <command> [args]` unpacks image-factory.mjs.gz, beside it in the
// ConfigMap, into a private folder under the pod's writable temp dir (TMPDIR, else /tmp: every Job mounts an emptyDir
// there), named by the content's SHA-256 and written atomically (a temp file, then rename, so a concurrent run never
// imports half a file), and imports it: the tool then runs on process.argv as if started directly.
// Exit 2 (a file that cannot be read or written) when the archive is missing or damaged or nothing can be written.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

const fail = (message) => {
  process.stderr.write(`image-factory (run.mjs): ${message}\n`);
  process.exit(2);
};
const reason = (error) => (error instanceof Error ? error.message : String(error));

const archive = new URL('./image-factory.mjs.gz', import.meta.url);
let code;
try {
  code = gunzipSync(readFileSync(archive));
} catch (error) {
  fail(`cannot unpack ${archive.pathname}: ${reason(error)}`);
}
const hash = createHash('sha256').update(code).digest('hex');
// Private to this user: another account's file of the same name under a shared /tmp is never imported.
const dir = join(tmpdir(), `image-factory-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`);
const file = join(dir, `image-factory-${hash}.mjs`);
const temp = `${file}.${process.pid}.tmp`;
try {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const info = lstatSync(dir);
  const uid = typeof process.getuid === 'function' ? process.getuid() : info.uid;
  if (!info.isDirectory() || info.uid !== uid || (info.mode & 0o022) !== 0) {
    fail(`${dir} is not a directory private to this user: refusing to run code from it`);
  }
  writeFileSync(temp, code, { mode: 0o600 });
  renameSync(temp, file);
} catch (error) {
  try {
    rmSync(temp, { force: true });
  } catch {}
  fail(`cannot write the unpacked tool to ${dir} (mount a writable emptyDir at /tmp or set TMPDIR): ${reason(error)}`);
}
await import(pathToFileURL(file).href);
