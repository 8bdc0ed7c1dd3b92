/** Writes openapi.yaml from the routes' schemas: `npm run openapi`. A test fails when the two differ. */
import { writeFileSync } from 'node:fs';
import { generateOpenApiYaml } from './openapi-document.js';

writeFileSync(new URL('../openapi.yaml', import.meta.url), await generateOpenApiYaml());
process.stdout.write('openapi.yaml written\n');
