/** Per test file: remove the temporary folders its tests made. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './support/git-repos.js';

afterAll(removeTempDirs);
