import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateOpenApiYaml } from '../scripts/openapi-document.js';

describe('openapi.yaml', () => {
  it('is what the app generates (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(new URL('../openapi.yaml', import.meta.url), 'utf8');
    expect(committed).toBe(await generateOpenApiYaml());
  });
});
