/** Our own JSON Schemas are valid draft 2020-12 (the runtime skips this check for start-up time). */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { IMAGES_SCHEMA } from '../src/enrolment/schema.js';
import { BASE_IMAGE_STATE_SCHEMA, IMAGE_STATE_SCHEMA } from '../src/state/schema.js';

describe('JSON Schemas', () => {
  it.each([
    ['images.yaml', IMAGES_SCHEMA],
    ['images/<name>.yaml', IMAGE_STATE_SCHEMA],
    ['base-images/<name>.yaml', BASE_IMAGE_STATE_SCHEMA],
  ])('%s schema passes the meta-schema', (_name, schema) => {
    const ajv = new Ajv2020({ strict: true, allowUnionTypes: true, validateSchema: true });
    expect(ajv.validateSchema(schema)).toBe(true);
    expect(ajv.errors ?? null).toBeNull();
    expect(() => ajv.compile(schema)).not.toThrow();
  });
});
