import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type SQLite from 'better-sqlite3';

/** How often the checkpointer copies what the WAL holds into the database file. */
const CHECKPOINT_EVERY_MS = 100;
/** WAL frames at which it starts the WAL over (SQLite's own auto-checkpoint threshold), so that the file stays small. */
const RESTART_AT_FRAMES = 1_000;
/** Copies in one round before the restart: each copies what the previous one left, so the restart has little to copy. */
const COPIES_BEFORE_RESTART = 5;
/** How long stopping waits for the worker to close its connection (a checkpoint in progress waits up to the busy timeout) before ending it. */
const STOP_WAIT_MS = 5_000;
/** SQLite's default: the service's connection checkpoints again by itself, should the checkpointer stop. */
const DEFAULT_AUTOCHECKPOINT_FRAMES = 1_000;
/** The service's connection leaves checkpoints to the checkpointer; this far only, should it fall behind. */
const BACKSTOP_AUTOCHECKPOINT_FRAMES = 10_000;

/**
 * The worker, as CommonJS source: a file of its own would have to be found both in dist/ and
 * under ts-jest. A busy database (a long write in the service) is tried again on the next tick.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = ' + workerData.busyTimeoutMs);
function checkpoint() {
  try {
    let [wal] = db.pragma('wal_checkpoint(PASSIVE)');
    for (let i = 1; i < workerData.copies && wal.log - wal.checkpointed > 64; i++) [wal] = db.pragma('wal_checkpoint(PASSIVE)');
    if (wal.log >= workerData.restartAtFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch (error) {
    if (error.code !== 'SQLITE_BUSY' && error.code !== 'SQLITE_LOCKED') throw error;
  }
}
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Runs SQLite's WAL checkpoints on a worker thread, with a connection of its own, instead of
 * in the service's connection at the end of a commit. A checkpoint copies the WAL into the
 * database file and syncs both (synchronous=NORMAL's durability point): about 20 ms every
 * 1,000 pages on the event loop otherwise, which every request and consumed event behind it
 * waits for (docs/performance.md). On the worker, the service's commits only append to the
 * WAL; the worker copies it every 100 ms and, once it holds 1,000 pages, starts it over (the
 * one moment writers wait: for the little the last copy left, so a few ms at most).
 *
 * What is durable and when does not change: the same checkpoints, only on another thread. If
 * the worker fails, the service's connection checkpoints by itself again, as SQLite does by
 * default. `stop` asks the worker to close its connection and end, and resolves once it has:
 * its last close deletes the WAL, and nothing touches the database's folder after that.
 */
export function startCheckpointer(db: SQLite.Database, file: string, busyTimeoutMs: number): { stop(): Promise<void> } {
  const logger = new Logger('SQLite');
  db.pragma(`wal_autocheckpoint = ${BACKSTOP_AUTOCHECKPOINT_FRAMES}`);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file: resolve(file),
      busyTimeoutMs,
      everyMs: CHECKPOINT_EVERY_MS,
      copies: COPIES_BEFORE_RESTART,
      restartAtFrames: RESTART_AT_FRAMES,
    },
  });
  worker.unref(); // a service ends when its work does, not when this thread does
  const ended = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let stopped = false;
  worker.on('error', (error) => {
    if (stopped) return; // e.g. the database's folder deleted after it closed, before the worker got to open it
    logger.warn(`The background checkpointer stopped (${error.message}); the service's connection checkpoints by itself from now on`);
    if (db.open) db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_FRAMES}`);
  });
  return {
    stop: () => {
      stopped = true;
      worker.postMessage('stop'); // a worker that already ended drops it
      const late = setTimeout(() => void worker.terminate(), STOP_WAIT_MS).unref();
      return ended.finally(() => clearTimeout(late));
    },
  };
}
