/**
 * The requests of a GitOps checkout as they are: every request file `image-factory/requests/<tier>/<id>.yaml`
 * (read through its schema; one in the wrong folder is an error) and the audit log `image-factory/requests/audit.jsonl`
 * (its text too: a change appends to exactly these bytes). Symbolic links are not followed out of the checkout.
 */
import { readdir } from 'node:fs/promises';
import { posix } from 'node:path';
import { FactoryError } from '../errors.js';
import { readConfinedFile } from '../util/confined.js';
import { parseAuditLog } from './audit.js';
import type { StoredRequest } from './provision.js';
import { parseRequestFile } from './request-file.js';
import { AUDIT_FILE, type AuditLine, REQUESTS_DIR } from './schema.js';

/** The audit log grows by a few hundred bytes an event: 64 MiB is some 150,000 events. */
const MAX_AUDIT_BYTES = 64 * 1024 * 1024;

/** The request files and the audit log of a checkout. */
export interface RequestsSnapshot {
  readonly requests: StoredRequest[];
  readonly auditText: string;
  readonly audit: AuditLine[];
}

/** Every `<tier>/<id>.yaml` under the requests folder of the checkout, parsed (a bad one names file:line:column). */
export async function readRequestsSnapshot(root: string): Promise<RequestsSnapshot> {
  const requests: StoredRequest[] = [];
  const folder = posix.join(root, REQUESTS_DIR);
  const tiers = await readdir(folder, { withFileTypes: true }).catch(() => []);
  for (const tier of tiers) {
    if (!tier.isDirectory()) continue;
    for (const entry of await readdir(posix.join(folder, tier.name), { withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.yaml')) continue;
      const path = `${REQUESTS_DIR}/${tier.name}/${entry.name}`;
      const text = await readConfinedFile(root, path, 'request file', 'invalid-enrolment');
      if (text === null) continue;
      const file = parseRequestFile(text, path);
      if (`${file.tier}/${file.id}.yaml` !== `${tier.name}/${entry.name}`) {
        throw new FactoryError(
          'invalid-state',
          `${path}: holds request ${file.id} of tier ${file.tier}, which belongs in ${REQUESTS_DIR}/${file.tier}/${file.id}.yaml`,
        );
      }
      requests.push({ path, file });
    }
  }
  const auditText = (await readConfinedFile(root, AUDIT_FILE, 'audit log', 'invalid-enrolment', MAX_AUDIT_BYTES)) ?? '';
  return { requests, auditText, audit: parseAuditLog(auditText, AUDIT_FILE) };
}
