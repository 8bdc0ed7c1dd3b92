import { ingestRequests, ingestUnits, primeScratch, scratchDatabase, withClient } from './lib/data.js';
import { startService } from './lib/service.js';
const scratch = await scratchDatabase('postgres://postgres@127.0.0.1:5432/postgres');
const db = new URL(scratch.url).pathname.slice(1);
const service = await startService({ databaseUrl: scratch.url, poolMax: 4 });
try {
  const requests = ingestRequests(ingestUnits(1));
  await primeScratch(service.base, scratch.url, requests, 20);
  await withClient(scratch.url, async (c) => {
    await c.query(`alter database "${db}" set session_preload_libraries = 'auto_explain'`);
    await c.query(`alter database "${db}" set auto_explain.log_min_duration = 20`);
    await c.query(`alter database "${db}" set auto_explain.log_analyze = on`);
    await c.query(`alter database "${db}" set auto_explain.log_buffers = on`);
    await c.query(`alter database "${db}" set auto_explain.log_wal = on`);
    await c.query(`alter database "${db}" set auto_explain.log_nested_statements = on`);
    await c.query(`alter database "${db}" set auto_explain.log_timing = on`);
  });
  await service.stop();
  const again = await startService({ databaseUrl: scratch.url, poolMax: 4 });
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`${again.base}/v1/certificates/batch`, {
      method: 'POST',
      headers: { ...requests.headers, 'content-type': 'application/json' },
      body: requests.batch(),
    });
    await res.text();
  }
  await again.stop();
} finally {
  await scratch.drop();
}
