// Installs Debian packages a command needs, where that is possible: as root, with apt-get.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Installs `packages` (without recommended ones); resolves to whether that ran and succeeded. */
export function aptInstall(packages, { log = console.log, why }) {
  if (process.getuid?.() !== 0 || !fs.existsSync('/usr/bin/apt-get')) return false;
  log(`${why}: installing Debian's package (apt-get install ${packages.join(' ')})...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  return spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env }).status === 0;
}

/** Whether `command` is on the PATH. */
export function hasCommand(command) {
  return spawnSync(command, ['--version'], { stdio: 'ignore' }).error === undefined;
}
