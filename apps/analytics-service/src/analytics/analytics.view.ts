import { ApiProperty } from '@nestjs/swagger';

/** GET /analytics, field by field (the README's table says more). */

class DurationView {
  @ApiProperty() count: number;
  @ApiProperty({ type: 'number', nullable: true }) p50: number | null;
  @ApiProperty({ type: 'number', nullable: true }) p95: number | null;
  @ApiProperty({ type: 'number', nullable: true }) p99: number | null;
}

class HourView {
  @ApiProperty({ format: 'date-time' }) start: string;
  @ApiProperty() orders: number;
  @ApiProperty() completed: number;
  @ApiProperty() cancelled: number;
  @ApiProperty({ description: 'captured payments' }) revenue: number;
  @ApiProperty({ description: 'refunds issued' }) refunded: number;
  @ApiProperty({ description: 'closed: nothing can change it any more' }) final: boolean;
}

class SnapshotPartitionView {
  @ApiProperty() partition: number;
  @ApiProperty() snapshotAgeMs: number;
}

class PartitionsView {
  @ApiProperty({ type: [Number], description: 'partition numbers this instance aggregates itself' }) live: number[];
  @ApiProperty({ type: [SnapshotPartitionView], description: "the others, from their owner's last snapshot" })
  fromSnapshots: SnapshotPartitionView[];
}

export class AnalyticsReportView {
  @ApiProperty({ description: 'orders created' }) orderCount: number;
  @ApiProperty({ description: 'orders completed (= completedOrders)' }) successfulOrders: number;
  @ApiProperty() completedOrders: number;
  @ApiProperty({ description: 'orders cancelled, for any reason (= cancelledOrders)' }) failedOrders: number;
  @ApiProperty() cancelledOrders: number;
  @ApiProperty({ description: 'successful / (successful + failed), percent, 1 decimal' }) successRate: number;
  @ApiProperty({ description: 'captured payments, before refunds' }) totalRevenue: number;
  @ApiProperty() refunds: number;
  @ApiProperty() refundedAmount: number;
  @ApiProperty({ description: 'totalRevenue - refundedAmount' }) netRevenue: number;
  @ApiProperty() ordersInFlight: number;
  @ApiProperty() paymentsFailed: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'number' }, description: 'by failure code' }) inventoryFailures: Record<
    string,
    number
  >;
  @ApiProperty({ type: DurationView, description: 'from OrderCreated to the outcome, by event time, in ms' }) sagaDurationMs: DurationView;
  @ApiProperty({ type: [Number], description: 'the last 60 one-minute windows, oldest first' }) ordersPerMinute: number[];
  @ApiProperty({ description: 'sliding 60 s' }) ordersLastMinute: number;
  @ApiProperty({ type: [HourView], description: 'the last 24 one-hour windows' }) hourlyTotals: HourView[];
  @ApiProperty() lateEventsDropped: number;
  @ApiProperty() futureEventsClamped: number;
  @ApiProperty() gracePeriodMs: number;
  @ApiProperty() eventsProcessed: number;
  @ApiProperty() trackedOrders: number;
  @ApiProperty({ description: 'true until the backlog present at start-up is read' }) catchingUp: boolean;
  @ApiProperty({ description: "events on this instance's partitions not read yet" }) lag: number;
  @ApiProperty({ type: PartitionsView }) partitions: PartitionsView;
  @ApiProperty({ format: 'date-time' }) generatedAt: string;
}
