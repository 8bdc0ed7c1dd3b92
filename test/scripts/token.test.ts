import { createVerifier } from 'fast-jwt';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config.js';
import { runScript } from '../helpers/process.js';

async function token(args: string[], env: Record<string, string> = {}) {
  const cli = runScript('scripts/token.ts', { JWT_SECRET: '', NODE_ENV: 'development', ...env }, args);
  const code = await cli.exited;
  return { code, out: cli.output() };
}

describe('npm run token', () => {
  it('prints a token the development secret verifies, expiring when asked', async () => {
    const { code, out } = await token(['--role', 'doctor', '--expires-in', '30m']);
    expect(code, out).toBe(0);
    const claims = createVerifier({ key: DEVELOPMENT_JWT_SECRET, algorithms: ['HS256'] })(out.trim());
    expect(claims).toMatchObject({ role: 'doctor', careGiverId: 'SE2321000016-CG01', units: ['SE2321000016-U001'] });
    expect(claims.exp - claims.iat).toBe(1800);
  });

  it('refuses a JWT_SECRET the service would refuse with the configuration message, not a stack trace', async () => {
    const { code, out } = await token([], { JWT_SECRET: 'short' });
    expect(code).toBe(1);
    expect(out).toMatch(/^Invalid configuration:\n {2}- JWT_SECRET/);
    expect(out).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it.each(['0s', '0h', '-5m', '8'])('refuses --expires-in %s, printing no token', async (span) => {
    const { code, out } = await token([`--expires-in=${span}`]);
    expect(code).toBe(1);
    expect(out).toMatch(/^--expires-in must be a number above 0/);
    expect(out).not.toMatch(/eyJ/);
  });
});
