import { stringify } from 'yaml';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';

/** The document exactly as the app serves it, from a throwaway in-memory database and a fixed configuration. */
export async function generateOpenApiYaml(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DOCS_ENABLED: 'true' });
  const database = await openDatabase({ dataDir: 'memory://' });
  const app = await buildApp({ config, database });
  await app.ready();
  // As YAML 1.1 reads it too: a bare `on:` key is the boolean true to PyYAML and SnakeYAML (openapi-generator), and
  // a client generated from the file had a field named `true`. Written for 1.1, such keys are quoted.
  const yaml = stringify(app.swagger(), { version: '1.1', strict: false });
  await app.close();
  await database.close();
  return yaml;
}
