// What the kernel says of a process (Linux /proc), and free ports.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Clock ticks per second of /proc/<pid>/stat's times (almost always 100). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

/** CPU time the process has used so far, user + system, in milliseconds (every thread counts). */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // After "pid (comm) ": state is field 3, utime 14 and stime 15 (man proc).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

/** A line of /proc/<pid>/status in kB (VmRSS: resident now, VmHWM: the peak resident set). */
function statusKb(pid, field) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${field}:`));
  return line ? Number(line.match(/\d+/)[0]) : null;
}

export const rssKb = (pid) => statusKb(pid, 'VmRSS');
export const peakRssKb = (pid) => statusKb(pid, 'VmHWM');

/** A TCP port nothing listens on right now (127.0.0.1). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** True if `port` cannot be bound on every interface (as the services bind it): something else has it. */
export function portBusy(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, () => server.close(() => resolve(false)));
  });
}

/**
 * Node flags for a V8 CPU profile of a process the bench starts, when BENCH_CPU_PROF=DIR is
 * set: DIR/<name>.cpuprofile, written when the process exits (open it in Chrome DevTools).
 */
export function cpuProfileArgs(name) {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
}
