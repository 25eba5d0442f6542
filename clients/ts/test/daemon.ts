/* daemon.ts - start a real aegisd (AEGIS_BIN) on 127.0.0.1 with a temporary data dir. */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BIN = process.env.AEGIS_BIN ?? join(process.cwd(), '..', '..', 'build', 'bin');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class Daemon {
  proc?: ChildProcess;
  url = '';
  dir = mkdtempSync(join(tmpdir(), 'aegis-ts-'));

  async start(extraToml = ''): Promise<void> {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const cfg = join(this.dir, 'aegis.toml');
    writeFileSync(cfg, `[batch]\ninterval_ms = 100\n${extraToml}`);
    this.proc = spawn(join(BIN, 'aegisd'),
      ['--config', cfg, '--listen', `127.0.0.1:${port}`, '--data-dir', join(this.dir, 'data')],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.proc.stderr!.on('data', (d) => { stderr += d; });
    for (let i = 0; i < 600; i++) {
      if (this.proc.exitCode !== null) throw new Error(`aegisd exited early: ${stderr}`);
      try {
        const r = await fetch(`${this.url}/healthz`);
        if (r.status === 200) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`aegisd never became healthy: ${stderr}`);
  }

  async stop(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) {
      const done = new Promise((r) => this.proc!.once('exit', r));
      this.proc.kill('SIGTERM');
      await done;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A signed transaction from the aegis CLI (`aegis tx new`). */
export function signedTx(args: string[]): string {
  return execFileSync(join(BIN, 'aegis'), ['tx', 'new', ...args], { encoding: 'utf8' }).trim();
}

export const readText = (p: string) => readFileSync(p, 'utf8');
