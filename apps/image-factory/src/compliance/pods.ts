/**
 * Pod lists as the Kubernetes API returns them (`kubectl get pods -A -o json`): the fields compliance reads, defined
 * once (TypeBox) and checked before use. Every container (init containers included) with the image its spec names
 * and the digest its status reports.
 */
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const ContainerSchema = Type.Object({ name: Type.String(), image: Type.String() });
const StatusSchema = Type.Object({
  name: Type.String(),
  image: Type.Optional(Type.String()),
  imageID: Type.Optional(Type.String()),
});
const PodSchema = Type.Object({
  metadata: Type.Object({
    name: Type.String(),
    namespace: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    ownerReferences: Type.Optional(
      Type.Array(Type.Object({ kind: Type.String(), name: Type.String(), controller: Type.Optional(Type.Boolean()) })),
    ),
  }),
  spec: Type.Object({
    containers: Type.Array(ContainerSchema),
    initContainers: Type.Optional(Type.Array(ContainerSchema)),
  }),
  status: Type.Optional(
    Type.Object({
      containerStatuses: Type.Optional(Type.Array(StatusSchema)),
      initContainerStatuses: Type.Optional(Type.Array(StatusSchema)),
    }),
  ),
});
const PodListSchema = Type.Object({ items: Type.Array(PodSchema) });

/** One container of one pod. */
export interface RunningContainer {
  readonly namespace: string;
  readonly pod: string;
  /** The owning workload: `Deployment/api` (a ReplicaSet's pod-template-hash dropped), `StatefulSet/db`, or `Pod/x`. */
  readonly workload: string;
  readonly container: string;
  readonly init: boolean;
  /** The image as the spec writes it. */
  readonly image: string;
  /** The digest the runtime reports (`sha256:…`), or null while pulling or when only an image ID is known. */
  readonly digest: string | null;
  /** Why `digest` is null. */
  readonly note: string | null;
  /** No image yet (pulling, waiting): nothing runs to compare. */
  readonly pulling: boolean;
}

export type PodsResult = { ok: true; value: RunningContainer[] } | { ok: false; error: string };

/** The digest in a container status's imageID: `docker-pullable://repo@sha256:…`, `repo@sha256:…`; `sha256:…` alone is an image (config) ID. */
export function runningDigest(imageID: string | undefined): {
  digest: string | null;
  note: string | null;
  pulling: boolean;
} {
  if (imageID === undefined || imageID === '') {
    return { digest: null, note: 'not running yet (no imageID: pulling or waiting)', pulling: true };
  }
  const at = /@(sha256:[a-f0-9]{64})$/.exec(imageID);
  if (at?.[1] !== undefined) return { digest: at[1], note: null, pulling: false };
  if (/^sha256:[a-f0-9]{64}$/.test(imageID)) {
    return {
      digest: null,
      note: 'the runtime reports an image ID (config digest), not the manifest digest',
      pulling: false,
    };
  }
  return { digest: null, note: `unreadable imageID "${imageID}"`, pulling: false };
}

function workloadOf(metadata: {
  labels?: Record<string, string>;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  name: string;
}): string {
  const owner = metadata.ownerReferences?.find((o) => o.controller === true) ?? metadata.ownerReferences?.[0];
  if (owner === undefined) return `Pod/${metadata.name}`;
  const hash = metadata.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash !== undefined && owner.name.endsWith(`-${hash}`)) {
    return `Deployment/${owner.name.slice(0, -hash.length - 1)}`;
  }
  if (owner.kind === 'Job' && /-\d{8,}$/.test(owner.name)) return `CronJob/${owner.name.replace(/-\d{8,}$/, '')}`;
  return `${owner.kind}/${owner.name}`;
}

/** Read a pod list (kind List or PodList); an error names what is missing. */
export function readPods(data: unknown): PodsResult {
  if (!Value.Check(PodListSchema, data)) {
    const first = Value.Errors(PodListSchema, data).First();
    return {
      ok: false,
      error: `not a pod list (kubectl get pods -A -o json): ${first?.path || '/'} ${first?.message ?? ''}`.trim(),
    };
  }
  const containers: RunningContainer[] = [];
  for (const pod of data.items) {
    const namespace = pod.metadata.namespace ?? 'default';
    const workload = workloadOf(pod.metadata);
    for (const [init, specs, statuses] of [
      [false, pod.spec.containers, pod.status?.containerStatuses ?? []],
      [true, pod.spec.initContainers ?? [], pod.status?.initContainerStatuses ?? []],
    ] as const) {
      for (const container of specs) {
        const status = statuses.find((s) => s.name === container.name);
        containers.push({
          namespace,
          pod: pod.metadata.name,
          workload,
          container: container.name,
          init,
          image: container.image,
          ...runningDigest(status?.imageID),
        });
      }
    }
  }
  return { ok: true, value: containers };
}
