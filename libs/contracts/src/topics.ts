import { COMMAND_TYPES, type EventType } from './events.js';

/** Each event type travels on exactly one topic, so a topic tells a consumer which type to expect. */
export const EVENT_TOPICS: { readonly [T in EventType]: string } = {
  OrderCreated: 'order.created',
  PaymentCompleted: 'payment.completed',
  PaymentFailed: 'payment.failed',
  PaymentRefunded: 'payment.refunded',
  InventoryReserved: 'inventory.reserved',
  InventoryFailed: 'inventory.failed',
  InventoryReleased: 'inventory.released',
  OrderCancelled: 'order.cancelled',
  OrderCompleted: 'order.completed',
  // The orchestrator's commands, one topic each too (keyed by order id, like the events).
  ChargePayment: 'payment.charge',
  RefundPayment: 'payment.refund',
  ReserveStock: 'inventory.reserve',
  ReleaseStock: 'inventory.release',
};

const COMMANDS: ReadonlySet<EventType> = new Set(COMMAND_TYPES);

/** Messages a consumer could not process, with the reason in the headers. */
export const DEAD_LETTER_TOPIC = 'saga.dead-letter';

/** Headers a dead letter carries besides the original message's own: why, who, and where it was read. */
export const DeadLetterHeaders = {
  reason: 'dlq-reason',
  service: 'dlq-service',
  topic: 'dlq-topic',
  partition: 'dlq-partition',
  offset: 'dlq-offset',
  at: 'dlq-at',
} as const;

/**
 * Topic names as one copy of the system uses them. A prefix (the services'
 * `KAFKA_TOPIC_PREFIX`, default empty) namespaces every topic and consumer group,
 * so several copies (the e2e tests, a developer's own run) can share one broker
 * without seeing each other's events.
 */
export class Topics {
  private readonly types: ReadonlyMap<string, EventType>;

  constructor(readonly prefix = '') {
    this.types = new Map(Object.entries(EVENT_TOPICS).map(([type, topic]) => [this.prefix + topic, type as EventType]));
  }

  of(type: EventType): string {
    return this.prefix + EVENT_TOPICS[type];
  }

  /** The event type a topic carries, or undefined for a topic that carries none. */
  typeOn(topic: string): EventType | undefined {
    return this.types.get(topic);
  }

  get deadLetter(): string {
    return this.prefix + DEAD_LETTER_TOPIC;
  }

  /** The topics that carry the saga's events (the facts, published in both modes). */
  events(): string[] {
    return [...this.types].filter(([, type]) => !COMMANDS.has(type)).map(([topic]) => topic);
  }

  /** The topics of the orchestrator's commands. */
  commands(): string[] {
    return COMMAND_TYPES.map((type) => this.of(type));
  }

  /** Every topic the system uses, as created up front by the broker script and each service. */
  all(): string[] {
    return [...this.events(), ...this.commands(), this.deadLetter];
  }

  /** A service's consumer group: one per service, so no two services split a topic between them. */
  consumerGroup(service: string): string {
    return this.prefix + service;
  }
}
