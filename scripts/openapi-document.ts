import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/client.js';

/** The document exactly as the app serves it, from a throwaway in-memory database and a fixed configuration. */
export async function generateOpenApiYaml(): Promise<string> {
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DOCS_ENABLED: 'true' });
  const database = await openDatabase({ dataDir: 'memory://' });
  const app = await buildApp({ config, database });
  await app.ready();
  const yaml = app.swagger({ yaml: true });
  await app.close();
  await database.close();
  return yaml;
}
