import { isLocalRequest } from './admin.guard.js';

describe('isLocalRequest (restocks without ADMIN_TOKEN)', () => {
  const host = { host: '127.0.0.1:3004' };

  it('takes a client on a loopback address that names a loopback host', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1'])
      expect([address, isLocalRequest(address, host)]).toEqual([address, true]);
    for (const name of ['localhost', 'localhost:3004', '[::1]:3004', '127.0.0.1'])
      expect([name, isLocalRequest('::1', { host: name })]).toEqual([name, true]);
  });

  it('refuses any other address, a missing one, a foreign Host (DNS rebinding), or a request relayed by a proxy', () => {
    for (const address of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.5', 'fe80::1', undefined])
      expect([address, isLocalRequest(address, host)]).toEqual([address, false]);
    expect(isLocalRequest('127.0.0.1', { host: 'evil.example' })).toBe(false);
    expect(isLocalRequest('127.0.0.1', {})).toBe(false);
    for (const header of ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'])
      expect([header, isLocalRequest('127.0.0.1', { ...host, [header]: '203.0.113.7' })]).toEqual([header, false]);
  });
});
