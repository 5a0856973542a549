import type { KafkaConfig, SASLOptions } from 'kafkajs';

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

/** The kafkajs client settings of a connection (a bare broker list is a plaintext connection, as scripts pass it). */
export function kafkaClientConfig(connection: KafkaConnection | string): Pick<KafkaConfig, 'brokers' | 'ssl' | 'sasl'> {
  const { brokers, ssl, sasl } = typeof connection === 'string' ? { brokers: connection } : connection;
  return {
    brokers: brokerList(brokers),
    ...(ssl && { ssl: { ca: [ssl.ca] } }),
    // A copy: kafkajs adds its authenticator to the object it gets, and the connection is shared by several clients.
    // (kafkajs types one object per mechanism; the fields are the same for the three.)
    ...(sasl && { sasl: { ...sasl } as SASLOptions }),
  };
}
