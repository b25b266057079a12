/**
 * Dockerfile → the images it is built from. Input: a Dockerfile's text and its build args. Output: stages, image
 * uses (FROM, COPY --from, RUN --mount from=, # syntax=) with normalised references, and diagnostics with lines.
 * Pure; never throws on bad input; bounded work (limits in parse.ts and variables.ts). dockerfile-ast parses,
 * `mask.ts` keeps it to the instructions that can name an image, `variables.ts` expands ARGs as BuildKit does.
 */
export { MAX_DOCKERFILE_BYTES, MAX_STAGES, parseDockerfile, parseDockerfileDetailed } from './parse.js';
export type * from './types.js';
export { ExpansionLimitError, expandVariables } from './variables.js';
