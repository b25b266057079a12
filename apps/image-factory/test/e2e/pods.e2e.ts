/**
 * The end-to-end harness's pod runner, which every scenario relies on without seeing it (in `npm run test:e2e`: it
 * runs containers under Debian's faketime): init containers before the container, a failed one ends the pod, an
 * emptyDir shared by containers that mount it at different paths, mount paths rewritten only where a path starts.
 */
import { describe, expect, test } from 'vitest';
import { runPod } from './pods.js';

const NOW = Date.parse('2026-11-02T10:00:00Z');

describe('runPod', () => {
  const cluster = { secrets: new Map(), configMaps: new Map() };
  const sh = (name: string, script: string, mounts: object[]) => ({
    name,
    image: 'debian:bookworm',
    command: ['sh', '-c', script],
    volumeMounts: mounts,
  });

  test('runs the init containers in order, then the container, sharing an emptyDir mounted at two paths', async () => {
    const pod = {
      volumes: [{ name: 'scan', emptyDir: {} }],
      initContainers: [
        sh('first', 'echo one > /scan/a', [{ name: 'scan', mountPath: '/scan' }]),
        sh('second', 'cat /work/a > /work/b; echo two >> /work/b', [{ name: 'scan', mountPath: '/work' }]),
      ],
      containers: [sh('main', 'cat /in/b', [{ name: 'scan', mountPath: '/in' }])],
    };
    const run = await runPod(pod, NOW, cluster);
    expect(run).toMatchObject({ exitCode: 0, container: 'main', stdout: 'one\ntwo\n' });
  });

  test('a failed init container ends the pod: nothing after it runs', async () => {
    const pod = {
      volumes: [{ name: 'scan', emptyDir: {} }],
      initContainers: [sh('fails', 'exit 3', [])],
      containers: [sh('main', 'echo ran', [])],
    };
    const run = await runPod(pod, NOW, cluster);
    expect(run).toMatchObject({ exitCode: 3, container: 'fails', stdout: '' });
  });

  test('a mount path is rewritten only where it starts a path, in arguments and scripts alike', async () => {
    const pod = {
      volumes: [{ name: 'tmp', emptyDir: {} }],
      containers: [
        sh('main', 'echo x > /tmp/f; cat /tmp/f; echo /var/tmp --dir=/tmp', [{ name: 'tmp', mountPath: '/tmp' }]),
      ],
    };
    const run = await runPod(pod, NOW, cluster);
    expect(run.exitCode).toBe(0);
    const [first, second] = run.stdout.split('\n');
    expect(first).toBe('x');
    expect(second).toMatch(/^\/var\/tmp --dir=\/.+\/volumes\/tmp$/);
  });
});
