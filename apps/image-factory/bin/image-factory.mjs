#!/usr/bin/env node
// The `image-factory` command. This file is committed, not built: npm links a workspace's bin during the first
// `npm install` / `npm ci`, before the root `prepare` step has compiled dist/, and it skips a link whose target does
// not exist yet. The link made, this loads the compiled CLI, or says how to build it.
try {
  await import('../dist/cli/bin.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/bin.js')) {
    process.stderr.write(
      'image-factory is not built yet: run `npm run build` (or `npm install`) in the repository root\n',
    );
    process.exit(2);
  }
  throw error;
}
