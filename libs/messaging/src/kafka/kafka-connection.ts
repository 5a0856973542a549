import net from 'node:net';
import tls from 'node:tls';
import type { ISocketFactory, KafkaConfig, SASLOptions } from 'kafkajs';

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/**
 * Where and how every Kafka client of a service connects: the server (consumer and
 * producer), the topic setup and the group admin all take this one value, so they
 * cannot disagree on the brokers or the security settings.
 */
export interface KafkaConnection {
  /** Comma-separated host:port list. */
  readonly brokers: string;
  /** TLS, trusting this CA (PEM text) besides Node's own roots. */
  readonly ssl?: { readonly ca: string };
  readonly sasl?: { readonly mechanism: SaslMechanism; readonly username: string; readonly password: string };
}

export function brokerList(brokers: string): string[] {
  return brokers
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
}

/** Idle connections are probed after this long (kafkajs's own default). */
const KEEP_ALIVE_MS = 60_000;

/**
 * kafkajs's sockets, with Nagle's algorithm off (TCP_NODELAY), as the Java client,
 * librdkafka and kafka-python set them. kafkajs sends every request to a broker over
 * one connection: an offset commit or a heartbeat written while a fetch is held by the
 * broker waited, with Nagle on, for the fetch's delayed ACK (up to 40 ms on Linux).
 * kafkajs batches by itself; it needs no batching from TCP.
 */
export const noDelaySocketFactory: ISocketFactory = ({ host, port, ssl, onConnect }) => {
  const socket = ssl
    ? tls.connect({ host, port, ...(!net.isIP(host) && { servername: host }), ...ssl }, onConnect)
    : net.connect({ host, port }, onConnect);
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEP_ALIVE_MS);
  return socket;
};

/** The kafkajs client settings of a connection (a bare broker list is a plaintext connection, as scripts pass it). */
export function kafkaClientConfig(connection: KafkaConnection | string): Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl' | 'socketFactory'> {
  const { brokers, ssl, sasl } = typeof connection === 'string' ? { brokers: connection } : connection;
  return {
    brokers: brokerList(brokers),
    socketFactory: noDelaySocketFactory,
    ...(ssl && { ssl: { ca: [ssl.ca] } }),
    // A copy: kafkajs adds its authenticator to the object it gets, and the connection is shared by several clients.
    // (kafkajs types one object per mechanism; the fields are the same for the three.)
    ...(sasl && { sasl: { ...sasl } as SASLOptions }),
  };
}
