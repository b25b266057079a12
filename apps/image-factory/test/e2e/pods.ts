/**
 * A Job's pod run as real processes, as the kubelet would run its init containers and then its one container: each
 * container's command and args, its env (values, and `secretKeyRef`s resolved from the cluster's Secrets), the pod's
 * volumes as folders (the ConfigMap's data, the Secrets' keys or `items`, `emptyDir`), one per volume under a temp dir
 * per pod, shared by every container that mounts it (a mount path in an argument, an env value or a shell script is
 * rewritten to its volume's folder), and the cluster's clock through Debian's `faketime` (libfaketime, LD_PRELOAD: the
 * tool and the git it runs read the simulated time as they would read a pod's clock). An image this machine cannot
 * run (Trivy's) has a stand-in on the container's PATH (`ClusterData.standIns`).
 *
 * Kubernetes rules followed (k8s.io/api core/v1 and batch/v1 documentation):
 * - a Secret volume or `secretKeyRef` that is missing and not `optional` keeps the pod from starting (the kubelet
 *   reports CreateContainerConfigError / FailedMount and retries): the Job then ends Failed at its
 *   `activeDeadlineSeconds` (DeadlineExceeded). An optional one is an absent file or variable.
 * - `backoffLimit` N: up to N + 1 pods, each started after the previous one failed; the Job is Complete at the first
 *   pod that exits 0 and Failed when the limit is passed.
 * - the pod's env has only what its spec names, plus the service-link variables the kubelet adds
 *   (KUBERNETES_SERVICE_HOST/PORT) and the image's PATH.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatInstant } from '../../src/util/time.js';
import { tempDir } from '../support/git-repos.js';
import { at, list, optBool, optNum, optStr, str, strings, strMap } from './objects.js';

/**
 * What the cluster holds that a pod may mount or read: Secrets and ConfigMaps by name (key → content; a ConfigMap's
 * `binaryData` as bytes, mounted as they are, beside its `data`).
 */
export interface ClusterData {
  readonly secrets: ReadonlyMap<string, Readonly<Record<string, string>>>;
  readonly configMaps: ReadonlyMap<string, Readonly<Record<string, string | Uint8Array>>>;
  /**
   * Stand-ins for images this machine cannot run, by image repository (`aquasec/trivy`): a folder put first on the
   * container's PATH, holding the image's executables (see trivy-stand-in.mjs). Other images run the host's tools.
   */
  readonly standIns?: ReadonlyMap<string, string>;
}

/** How one pod ended. */
export interface PodRun {
  readonly exitCode: number | null;
  /** Why it did not run, when it could not start (a missing Secret). */
  readonly notStarted?: string;
  /** The container that ended the pod: the first that failed, or the main one. */
  readonly container?: string;
  readonly stdout: string;
  readonly stderr: string;
}

/** How a Job ended: batch/v1 JobComplete or JobFailed, with its pods. */
export interface JobRun {
  readonly condition: 'Complete' | 'Failed';
  readonly pods: readonly PodRun[];
}

/** The real seconds a pod may run before it is killed (a simulated deadline would be 600 s of wall time). */
const POD_WALL_LIMIT_MS = 60_000;

/** Where a volume's content lives on this machine: one folder per volume, shared by every container mounting it. */
const volumeDir = (root: string, name: string) => join(root, 'volumes', name);

/** A container's mounts: its mount paths, longest first, each with the folder of its volume. */
type Mounts = readonly { readonly path: string; readonly dir: string }[];

function mountsOf(container: unknown, root: string): Mounts {
  return list(container, 'volumeMounts')
    .map((m) => ({ path: str(m, 'mountPath'), dir: volumeDir(root, str(m, 'name')) }))
    .sort((a, b) => b.path.length - a.path.length);
}

const PATH_CHAR = /[A-Za-z0-9._/-]/;
const NAME_CHAR = /[A-Za-z0-9._-]/;

/**
 * Rewrite every mount path an argument, env value or shell script names (or a file under it) to the volume's folder,
 * in one pass: a path starts where no path character precedes it and ends at `/` or where no name character follows.
 */
function remap(value: string, mounts: Mounts): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const before = i === 0 ? '' : (value[i - 1] ?? '');
    const mount =
      before !== '' && PATH_CHAR.test(before)
        ? undefined
        : mounts.find((m) => {
            if (!value.startsWith(m.path, i)) return false;
            const after = value[i + m.path.length];
            return after === undefined || after === '/' || !NAME_CHAR.test(after);
          });
    if (mount === undefined) {
      out += value[i];
      i += 1;
    } else {
      out += mount.dir;
      i += mount.path.length;
    }
  }
  return out;
}

/** Set up every volume of the pod (the kubelet mounts them all before any container starts); why not, or undefined. */
function prepareVolumes(podSpec: unknown, root: string, cluster: ClusterData): string | undefined {
  for (const volume of list(podSpec, 'volumes')) {
    const name = str(volume, 'name');
    const path = volumeDir(root, name);
    mkdirSync(path, { recursive: true });
    const configMap = optStr(volume, 'configMap', 'name');
    const secretName = optStr(volume, 'secret', 'secretName');
    let data: Readonly<Record<string, string | Uint8Array>> | undefined;
    let items: unknown[] = [];
    if (configMap !== undefined) {
      data = cluster.configMaps.get(configMap);
      if (data === undefined) return `FailedMount: configmap "${configMap}" not found`;
      items = list(volume, 'configMap', 'items');
    } else if (secretName !== undefined) {
      data = cluster.secrets.get(secretName);
      if (data === undefined) {
        if (optBool(volume, 'secret', 'optional') === true) continue;
        return `FailedMount: secret "${secretName}" not found`;
      }
      items = list(volume, 'secret', 'items');
    } else if (at(volume, 'emptyDir') !== undefined) {
      continue;
    } else {
      return `volume ${name}: a kind this harness does not mount`;
    }
    const files =
      items.length === 0
        ? Object.entries(data)
        : items.map((item) => [str(item, 'path'), data?.[str(item, 'key')] ?? ''] as const);
    for (const [file, content] of files) {
      mkdirSync(dirname(join(path, file)), { recursive: true });
      writeFileSync(join(path, file), content);
    }
  }
  for (const container of [...list(podSpec, 'initContainers'), ...list(podSpec, 'containers')])
    for (const mount of list(container, 'volumeMounts'))
      if (!list(podSpec, 'volumes').some((v) => str(v, 'name') === str(mount, 'name')))
        return `volume ${str(mount, 'name')} is not declared`;
  return undefined;
}

/** The container's env as the kubelet builds it; the reason it cannot start, or the env. */
function containerEnv(container: unknown, cluster: ClusterData): Record<string, string> | string {
  const image = str(container, 'image');
  const standIn = cluster.standIns?.get(image.replace(/[:@].*$/, ''));
  const hostPath = process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
  const env: Record<string, string> = {
    PATH: standIn === undefined ? hostPath : `${standIn}:${hostPath}`,
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
  };
  for (const entry of list(container, 'env')) {
    const name = str(entry, 'name');
    const value = optStr(entry, 'value');
    if (value !== undefined) {
      env[name] = value;
      continue;
    }
    const ref = at(entry, 'valueFrom', 'secretKeyRef');
    if (ref === undefined) return `env ${name}: a source this harness does not resolve`;
    const secret = cluster.secrets.get(str(ref, 'name'));
    const found = secret?.[str(ref, 'key')];
    if (found !== undefined) env[name] = found;
    else if (optBool(ref, 'optional') !== true)
      return `CreateContainerConfigError: secret "${str(ref, 'name')}" key "${str(ref, 'key')}" not found`;
  }
  return env;
}

/** Run one container of a pod to its end, as a process under faketime at simulated time `now`. */
async function runContainer(
  container: unknown,
  root: string,
  now: number,
  env: Record<string, string>,
): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const mounts = mountsOf(container, root);
  for (const [name, value] of Object.entries(env)) env[name] = remap(value, mounts);
  const argv = [...strings(container, 'command'), ...strings(container, 'args')].map((a) => remap(a, mounts));
  // faketime reads '@YYYY-MM-DD HH:MM:SS' in the local zone: the pod's zone is UTC, so the process gets TZ=UTC.
  const start = formatInstant(now).replace('T', ' ').replace('Z', '');
  const child = spawn('faketime', ['-f', `@${start}`, ...argv], {
    cwd: root,
    env: { ...env, TZ: 'UTC' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const limit = setTimeout(() => {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, POD_WALL_LIMIT_MS);
  const exitCode = await new Promise<number | null>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? (signal === null ? null : 128 + 9)));
  });
  clearTimeout(limit);
  return { exitCode, stdout, stderr };
}

/**
 * Run one pod of `podSpec` at simulated time `now` (ms): its init containers in order, each to a successful end (with
 * restartPolicy Never, a failed one fails the pod and nothing after it runs), then its one container.
 */
export async function runPod(podSpec: unknown, now: number, cluster: ClusterData): Promise<PodRun> {
  const root = tempDir('if-e2e-pod-');
  const notMounted = prepareVolumes(podSpec, root, cluster);
  if (notMounted !== undefined) return { exitCode: null, notStarted: notMounted, stdout: '', stderr: '' };
  const containers = [...list(podSpec, 'initContainers'), at(podSpec, 'containers', 0)];
  const envs: Record<string, string>[] = [];
  for (const container of containers) {
    const env = containerEnv(container, cluster);
    if (typeof env === 'string') return { exitCode: null, notStarted: env, stdout: '', stderr: '' };
    envs.push(env);
  }
  let stdout = '';
  let stderr = '';
  for (const [index, container] of containers.entries()) {
    const run = await runContainer(container, root, now, envs[index] ?? {});
    stdout += run.stdout;
    stderr += run.stderr;
    if (run.exitCode !== 0 || index === containers.length - 1)
      return { exitCode: run.exitCode, container: str(container, 'name'), stdout, stderr };
  }
  return { exitCode: null, notStarted: 'no container', stdout, stderr };
}

/** Run a Job (its `spec`) at `now`: up to backoffLimit + 1 pods, Complete at the first that exits 0. */
export async function runJob(jobSpec: unknown, now: number, cluster: ClusterData): Promise<JobRun> {
  const backoffLimit = optNum(jobSpec, 'backoffLimit') ?? 6;
  const pods: PodRun[] = [];
  for (let attempt = 0; attempt <= backoffLimit; attempt++) {
    const pod = await runPod(at(jobSpec, 'template', 'spec'), now, cluster);
    pods.push(pod);
    // A pod that cannot start never ends by itself: the Job fails at its deadline, with no further pods.
    if (pod.notStarted !== undefined) return { condition: 'Failed', pods };
    if (pod.exitCode === 0) return { condition: 'Complete', pods };
  }
  return { condition: 'Failed', pods };
}

/** Install an executable git hook in a bare repository. */
export function installHook(bare: string, hook: string, script: string): void {
  const path = join(bare, 'hooks', hook);
  writeFileSync(path, script);
  chmodSync(path, 0o755);
}

/** The labels of a pod template, for the record. */
export const podLabels = (jobSpec: unknown) => strMap(jobSpec, 'template', 'metadata', 'labels');
