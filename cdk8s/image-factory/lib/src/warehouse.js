/** One Kargo Warehouse for one tracked image reference. */
import { Construct } from 'constructs';
import { Warehouse } from '../imports/kargo.akuity.io.js';
/** Longest annotation value we write; Kubernetes allows 256 KiB for all annotations together. */
export const MAX_DEPENDENTS_ANNOTATION = 1024;
/** Labels every generated object carries. */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'image-factory' };
/** The dependents annotation: comma-separated, cut at a name boundary with a count of what was left out. */
export function dependentsAnnotation(dependents, limit = MAX_DEPENDENTS_ANNOTATION) {
    const full = dependents.join(',');
    if (full.length <= limit)
        return full;
    const kept = [];
    let length = 0;
    for (const name of dependents) {
        const suffix = ` (+${dependents.length - kept.length - 1} more)`;
        if (length + name.length + 1 + suffix.length > limit)
            break;
        kept.push(name);
        length += name.length + 1;
    }
    return `${kept.join(',')} (+${dependents.length - kept.length} more)`;
}
/** The image subscription Kargo gets for a plan. */
export function imageSubscription(plan, legacyAllowTags) {
    const s = plan.subscription;
    return {
        repoURL: s.repoURL,
        ...(legacyAllowTags ? { allowTags: s.allowTags } : { allowTagsRegexes: [s.allowTags] }),
        imageSelectionStrategy: s.imageSelectionStrategy,
        ...(s.constraint === undefined ? {} : { constraint: s.constraint }),
        ...(s.strictSemvers === undefined ? {} : { strictSemvers: s.strictSemvers }),
        discoveryLimit: s.discoveryLimit,
        ...(s.platform === undefined ? {} : { platform: s.platform }),
    };
}
/** A Warehouse watching one base or external image. */
export class ImageWarehouse extends Construct {
    /** The underlying Kargo object. */
    warehouse;
    constructor(scope, id, props) {
        super(scope, id);
        const { plan } = props;
        this.warehouse = new Warehouse(this, 'Resource', {
            metadata: {
                name: plan.name,
                namespace: props.namespace,
                labels: { ...MANAGED_BY, 'image-factory.io/kind': plan.kind },
                annotations: {
                    'image-factory.io/reference': plan.reference,
                    ...(plan.dependents.length > 0
                        ? { 'image-factory.io/dependents': dependentsAnnotation(plan.dependents) }
                        : {}),
                },
            },
            spec: {
                interval: plan.interval,
                subscriptions: [{ image: imageSubscription(plan, props.legacyAllowTags ?? false) }],
            },
        });
    }
}
//# sourceMappingURL=warehouse.js.map