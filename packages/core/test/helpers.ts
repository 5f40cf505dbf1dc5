import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Folder of the JS plugin fixtures (they are not compiled; tests run from dist/test). */
export const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');
