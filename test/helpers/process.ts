import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

export interface ScriptProcess {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr together. */
  output(): string;
  /** Its exit code; a process still running after `timeoutMs` is killed (and its code is null). */
  exited: Promise<number | null>;
}

/**
 * Runs a script of this repository (`src/server.ts`, `scripts/…`) in a Node process of its own, with `env` over the
 * test's environment, collecting what it writes.
 */
export function runScript(
  script: string,
  env: Record<string, string>,
  args: string[] = [],
  timeoutMs = 45_000,
): ScriptProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => {
    output += c;
  });
  child.stderr.on('data', (c) => {
    output += c;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = once(child, 'exit').then(([code]) => {
    clearTimeout(timer);
    return code as number | null;
  });
  return { child, output: () => output, exited };
}
