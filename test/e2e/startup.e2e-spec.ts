import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Runs a service until it exits (it should, at once) and returns its exit code and output. */
function start(env: Record<string, string>) {
  const result = spawnSync(process.execPath, [join(ROOT, 'dist', 'apps', 'order-service', 'src', 'main.js')], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', NODE_OPTIONS: '', PORT: '39999', KAFKA_TOPIC_PREFIX: 'e2e-startup.', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A service that cannot use its database says so in one line and exits 1: no stack trace, no half-started service. */
describe('start-up with an unusable database', () => {
  const server = process.env.TEST_POSTGRES_URL;

  // Needs a PostgreSQL server to ask (npm test starts one; CI requires it).
  (server ? it : it.skip)('names a PostgreSQL database that does not exist', () => {
    const { code, output } = start({ DATABASE_URL: `${server}/no_such_database` });
    expect(code).toBe(1);
    expect(output).toMatch(/Cannot open the database: .*database "no_such_database" does not exist \(create it first/);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('says that the server refused the connection', () => {
    const { code, output } = start({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/order_service' });
    expect(code).toBe(1);
    expect(output).toMatch(/Cannot open the database: .*connection refused/);
    expect(output).not.toMatch(/\n\s+at /);
  });

  it('refuses a DATABASE_URL that is not a postgres:// URL, naming it', () => {
    const { code, output } = start({ DATABASE_URL: 'mysql://localhost/orders' });
    expect(code).toBe(1);
    expect(output).toMatch(/DATABASE_URL must be a postgres:\/\/ URL \(got "mysql:\/\/localhost\/orders"\)/);
  });
});
