import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runScript } from '../helpers/process.js';

/** Starts src/server.ts on the embedded database in memory and answers its exit code and output. */
async function start(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const server = runScript('src/server.ts', { DATA_DIR: 'memory://', LOG_LEVEL: 'warn', DATABASE_URL: '', ...env });
  const code = await server.exited;
  return { code, output: server.output() };
}

describe('a start that cannot listen', () => {
  it('names HOST when it is no address of this machine', async () => {
    const { code, output } = await start({ HOST: 'no-such-host.invalid', PORT: '0' });
    expect(code, output).toBe(1);
    expect(output).toMatch(/samverkan failed to start: HOST no-such-host\.invalid .*ENOTFOUND/);
  });

  it('names PORT when another process holds it', async () => {
    const holder: Server = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as { port: number }).port;
    try {
      const { code, output } = await start({ HOST: '127.0.0.1', PORT: String(port) });
      expect(code, output).toBe(1);
      expect(output).toMatch(new RegExp(`samverkan failed to start: PORT ${port} on 127\\.0\\.0\\.1 .*EADDRINUSE`));
    } finally {
      holder.close();
    }
  });
});
