/**
 * planWarehouses: images.yaml ⊕ state → the Warehouses to create (pure). images.yaml wins for every field it
 * sets; a base or external image gets a Warehouse only where the merged config has repoURL and allowTags.
 * A base whose repository is a managed image (FROM ghcr.io/acme/node-base:22, node-base enrolled as managed) is
 * watched like any other base: Digest on exactly the tag the dependents build FROM (DESIGN §10), so that a new
 * build under that tag reaches `rebuild --reference …:22`. The managed image's own Warehouse follows its builds
 * (SemVer by default) for their analysis only: Kargo's SemVer strategy with strictSemvers (default true, Kargo
 * v1.11.2 pkg/subscription/image.go:92-94) never discovers a tag like `22`, and Freight carries only the newest
 * tag discovered (pkg/controller/warehouses/warehouses.go:662), so its Freight can never name the tag built FROM.
 * planManagedWarehouse: the Warehouse of a managed image's pipeline. Both share one subscription rule and one set of
 * defaults, so a managed image's Warehouse reads images.yaml exactly as an external image's does.
 */
import type { Enrolment, EnrolmentDefaults, ExternalImage, ManagedImage } from '../enrolment/types.js';
import { FactoryError } from '../errors.js';
import type { ImageSubscriptionFields } from '../kargo/subscription.js';
import { exactTagRegex, repoURLOf } from '../state/plan.js';
import type { BaseImageState, StateSnapshot } from '../state/types.js';
import { compareCodeUnits } from '../util/compare.js';
import { pickDefined } from '../util/pick-defined.js';
import type { PlannedSubscription, WarehousePlan, WarehouseSelection } from './types.js';

/** Merged Warehouse-relevant config of one candidate, before the selection rule: the one subscription type. */
interface Candidate extends ImageSubscriptionFields {
  readonly name: string;
  readonly kind: WarehousePlan['kind'];
  readonly reference: string;
  readonly repoURL?: string;
  readonly dependents: readonly string[];
  readonly managedImage?: string;
}

function externalCandidate(image: ExternalImage, enrolment: Enrolment): Candidate {
  return {
    name: image.name,
    kind: 'external',
    reference: repoURLOf(image.registry, image.repository),
    repoURL: repoURLOf(image.registry, image.repository),
    allowTags: image.allowTags,
    ...pickDefined(image, ['imageSelectionStrategy', 'constraint', 'strictSemvers', 'platform']),
    discoveryLimit: image.discoveryLimit ?? enrolment.defaults.discoveryLimit,
    interval: image.interval ?? enrolment.defaults.interval,
    dependents: [],
  };
}

function baseCandidate(base: BaseImageState, enrolment: Enrolment, dependents: readonly string[]): Candidate {
  return {
    name: base.name,
    kind: 'base',
    reference: base.reference,
    ...pickDefined(base, ['repoURL', 'allowTags', 'imageSelectionStrategy', 'constraint', 'platform']),
    discoveryLimit: base.discoveryLimit ?? enrolment.defaults.discoveryLimit,
    interval: enrolment.defaults.baseImageInterval,
    dependents,
  };
}

/**
 * A base built FROM a managed image's tag: Digest on exactly that tag (Kargo's digest selector reads the one tag in
 * `constraint`: v1.11.2 pkg/image/digest_selector.go:53-55,71), polled as often as the managed image's own
 * Warehouse polls the same repository. The state keeps no Warehouse config for it (the tag is in the reference).
 */
function managedBaseCandidate(
  base: BaseImageState & { readonly tag: string },
  image: ManagedImage,
  enrolment: Enrolment,
  dependents: readonly string[],
): Candidate {
  return {
    name: base.name,
    kind: 'base',
    reference: base.reference,
    repoURL: repoURLOf(base.registry, base.repository),
    allowTags: exactTagRegex(base.tag),
    imageSelectionStrategy: 'Digest',
    constraint: base.tag,
    discoveryLimit: enrolment.defaults.discoveryLimit,
    interval: image.subscription.interval ?? enrolment.defaults.interval,
    dependents,
    managedImage: image.name,
  };
}

/** A base reference that names a tag and no digest: one a Warehouse can follow. */
const followsTag = (base: BaseImageState): base is BaseImageState & { readonly tag: string } =>
  base.tag !== null && base.digest === null;

/**
 * Decide the Warehouses.
 * @param enrolment images.yaml (wins over state)
 * @param state the state files
 */
export function planWarehouses(enrolment: Enrolment, state: StateSnapshot): WarehouseSelection {
  const warnings: string[] = [];
  const candidates: Candidate[] = [];
  const managed = new Map<string, ManagedImage>();
  const managedRepos = new Map<string, ManagedImage>();
  for (const image of enrolment.images) {
    if (image.kind === 'managed') {
      managed.set(image.name, image);
      managedRepos.set(repoURLOf(image.registry, image.repository), image);
    } else {
      candidates.push(externalCandidate(image, enrolment));
    }
  }
  const enrolledByName = new Map(enrolment.images.map((image) => [image.name, image]));
  for (const [name, image] of state.images) {
    const enrolled = enrolledByName.get(name);
    if (enrolled === undefined)
      warnings.push(`state lists image ${name}, which is not in images.yaml: run image-factory sync`);
    else if (enrolled.kind !== image.kind) {
      warnings.push(
        `image ${name} is ${enrolled.kind} in images.yaml but ${image.kind} in state: images.yaml wins; run image-factory sync`,
      );
    }
  }
  for (const base of state.baseImages.values()) {
    // images.yaml wins: a repository it enrols as managed is a managed base, whatever the state recorded.
    const managedBase = managedRepos.get(repoURLOf(base.registry, base.repository));
    if (managedBase === undefined && base.managedImage !== undefined) continue;
    if (managedBase === undefined ? base.untracked !== undefined : !followsTag(base)) continue;
    const dependents = base.dependents.filter((d) => managed.has(d));
    if (dependents.length === 0) {
      warnings.push(
        `base image ${base.name} has no dependent enrolled as managed in images.yaml: no Warehouse (run image-factory sync)`,
      );
      continue;
    }
    candidates.push(
      managedBase !== undefined && followsTag(base)
        ? managedBaseCandidate(base, managedBase, enrolment, dependents)
        : baseCandidate(base, enrolment, dependents),
    );
  }

  const warehouses: WarehousePlan[] = [];
  const byName = new Map<string, Candidate>();
  const byReference = new Map<string, Candidate>();
  for (const c of candidates) {
    if (c.repoURL === undefined || c.allowTags === undefined) {
      const missing = [
        c.repoURL === undefined ? 'repoURL' : null,
        c.allowTags === undefined ? 'allowTags' : null,
      ].filter(Boolean);
      warnings.push(`${c.kind} image ${c.name} has no ${missing.join(' or ')}: no Warehouse`);
      continue;
    }
    if (managed.has(c.name)) {
      throw new FactoryError(
        'invalid-manifest',
        `Warehouse name ${c.name} (${c.kind} image ${c.reference}) is the managed image ${c.name}'s pipeline Warehouse too: rename one of them in images.yaml`,
      );
    }
    const clash = byName.get(c.name);
    if (clash !== undefined) {
      throw new FactoryError(
        'invalid-manifest',
        `Warehouse name ${c.name} is wanted by ${clash.kind} image ${clash.reference} and ${c.kind} image ${c.reference}: rename the external image in images.yaml`,
      );
    }
    // What a Warehouse tracks (an absent field is null): the same key, the same Freight.
    const key = JSON.stringify([c.repoURL, c.allowTags, c.constraint, c.imageSelectionStrategy]);
    const same = byReference.get(key);
    if (same !== undefined) {
      warnings.push(
        `${c.kind} image ${c.name} tracks the same as ${same.kind} image ${same.name}: one Warehouse (${same.name})`,
      );
      continue;
    }
    byName.set(c.name, c);
    byReference.set(key, c);
    warehouses.push(warehousePlan({ ...c, repoURL: c.repoURL }, enrolment.defaults));
  }
  warehouses.sort((a, b) => compareCodeUnits(a.name, b.name));
  return { warehouses, warnings: [...warnings].sort(compareCodeUnits) };
}

/** The one subscription rule: what images.yaml or state set, Kargo's defaults (from `defaults`) for the rest. */
function warehousePlan(c: Candidate & { readonly repoURL: string }, defaults: EnrolmentDefaults): WarehousePlan {
  const subscription: PlannedSubscription = {
    repoURL: c.repoURL,
    ...(c.allowTags === undefined ? {} : { allowTags: c.allowTags }),
    imageSelectionStrategy: c.imageSelectionStrategy ?? 'SemVer',
    ...(c.constraint === undefined ? {} : { constraint: c.constraint }),
    ...(c.strictSemvers === undefined ? {} : { strictSemvers: c.strictSemvers }),
    discoveryLimit: c.discoveryLimit ?? defaults.discoveryLimit,
    ...(c.platform === undefined ? {} : { platform: c.platform }),
  };
  return {
    name: c.name,
    kind: c.kind,
    reference: c.reference,
    interval: c.interval ?? defaults.interval,
    subscription,
    dependents: [...c.dependents].sort(compareCodeUnits),
    ...(c.managedImage === undefined ? {} : { managedImage: c.managedImage }),
  };
}

/**
 * The Warehouse of a managed image's pipeline: its published repository, with the subscription images.yaml gives
 * it (an image tagged by commit SHA needs `imageSelectionStrategy: NewestBuild`; Kargo's default SemVer skips such
 * tags) and the same defaults as every other Warehouse.
 */
export function planManagedWarehouse(image: ManagedImage, defaults: EnrolmentDefaults): WarehousePlan {
  const repoURL = repoURLOf(image.registry, image.repository);
  return warehousePlan(
    { name: image.name, kind: 'managed', reference: repoURL, repoURL, ...image.subscription, dependents: [] },
    defaults,
  );
}
