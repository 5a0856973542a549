import net from 'node:net';
import { jest } from '@jest/globals';
import { kafkaClientConfig, noDelaySocketFactory } from './kafka-connection.js';

describe('kafkaClientConfig', () => {
  it('gives every client sockets with Nagle off (TCP_NODELAY) and keep-alive on', async () => {
    expect(kafkaClientConfig('localhost:9092').socketFactory).toBe(noDelaySocketFactory);

    const server = net.createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const noDelay = jest.spyOn(net.Socket.prototype, 'setNoDelay');
    const keepAlive = jest.spyOn(net.Socket.prototype, 'setKeepAlive');
    try {
      const { port } = server.address() as net.AddressInfo;
      let connected!: () => void;
      const onConnect = new Promise<void>((resolve) => (connected = resolve));
      const socket = noDelaySocketFactory({ host: '127.0.0.1', port, ssl: undefined!, onConnect: () => connected() });
      await onConnect;
      expect(noDelay.mock.contexts).toContain(socket);
      expect(noDelay.mock.calls[noDelay.mock.contexts.indexOf(socket)]).toEqual([true]);
      expect(keepAlive.mock.contexts).toContain(socket);
      socket.destroy();
    } finally {
      noDelay.mockRestore();
      keepAlive.mockRestore();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads a bare broker list as a plaintext connection', () => {
    expect(kafkaClientConfig(' a:9092, b:9094 ,')).toMatchObject({ brokers: ['a:9092', 'b:9094'] });
    expect(kafkaClientConfig('a:9092')).not.toHaveProperty('ssl');
  });
});
