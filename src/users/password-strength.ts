import { Worker } from 'node:worker_threads';

/**
 * zxcvbn reads this many characters of a password (at most about 40 ms of CPU, where 128 crafted
 * ones cost half a second): a longer password is accepted when these are not common or easily guessed.
 */
export const STRENGTH_CHECKED_LENGTH = 32;

interface Pending {
  resolve(score: number): void;
  reject(error: Error): void;
}

/**
 * zxcvbn on a worker thread of its own, started on first use: its scoring is synchronous CPU work
 * of up to tens of milliseconds a password, which on the event loop would stall every other request
 * (a burst of crafted passwords held /health for seconds). Checks queue on the one thread, so a burst
 * costs one core at most and never the event loop. The worker resolves the packages by absolute path,
 * so it starts the same from any working directory.
 */
export class PasswordStrength {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private lastId = 0;

  /** zxcvbn's score, 0 (guessable) to 4, of the password's first STRENGTH_CHECKED_LENGTH characters. */
  score(password: string, userInputs: string[]): Promise<number> {
    const worker = (this.worker ??= this.start());
    const id = ++this.lastId;
    return new Promise<number>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, password, userInputs });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(workerSource(), { eval: true });
    // The server's sockets keep the process alive; an idle checker must not.
    worker.unref();
    worker.on('message', ({ id, score }: { id: number; score: number }) => {
      const pending = this.pending.get(id);
      this.pending.delete(id);
      pending?.resolve(score);
    });
    worker.on('error', (error) => this.fail(worker, error));
    worker.on('exit', () => this.fail(worker, new Error('the password strength worker stopped')));
    return worker;
  }

  /** Whatever was queued on a worker that died fails (a 500); the next check starts a new one. */
  private fail(worker: Worker, error: Error): void {
    if (this.worker === worker) this.worker = undefined;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}

function workerSource(): string {
  const core = JSON.stringify(require.resolve('@zxcvbn-ts/core'));
  const common = JSON.stringify(require.resolve('@zxcvbn-ts/language-common'));
  return `
    const { parentPort } = require('node:worker_threads');
    const { ZxcvbnFactory } = require(${core});
    const { adjacencyGraphs, dictionary } = require(${common});
    const zxcvbn = new ZxcvbnFactory({ dictionary, graphs: adjacencyGraphs, maxLength: ${STRENGTH_CHECKED_LENGTH} });
    parentPort.on('message', ({ id, password, userInputs }) => {
      parentPort.postMessage({ id, score: zxcvbn.check(password, userInputs).score });
    });
  `;
}
