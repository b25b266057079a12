/** Our own JSON Schemas are valid draft 2020-12 (the runtime skips this check for start-up time). */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { IMAGES_SCHEMA } from '../src/enrolment/schema.js';
import { BASE_IMAGE_STATE_SCHEMA, IMAGE_STATE_SCHEMA, STATE_FORMATS } from '../src/state/schema.js';

describe('JSON Schemas', () => {
  it('a state time is a real calendar instant, not only its shape', () => {
    expect(STATE_FORMATS.instant?.('2026-02-28T00:00:00Z')).toBe(true);
    expect(STATE_FORMATS.instant?.('2026-02-30T00:00:00Z')).toBe(false);
    expect(STATE_FORMATS.instant?.('2026-12-01T24:00:00Z')).toBe(false);
  });

  it.each([
    ['images.yaml', IMAGES_SCHEMA],
    ['images/<name>.yaml', IMAGE_STATE_SCHEMA],
    ['base-images/<name>.yaml', BASE_IMAGE_STATE_SCHEMA],
  ])('%s schema passes the meta-schema', (_name, schema) => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateSchema: true });
    for (const [format, validate] of Object.entries(STATE_FORMATS)) ajv.addFormat(format, { type: 'string', validate });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
    expect(() => ajv.compile(schema)).not.toThrow();
  });
});
