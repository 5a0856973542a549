import { ApiProperty } from '@nestjs/swagger';
import type { ReservationStatus } from './inventory.domain.js';

/** What the API shows of the shelf and of reservations. */

export class StockLevelView {
  @ApiProperty({ example: 'prod-1' }) productId: string;
  @ApiProperty({ example: 100, description: 'stock at the first start' }) initial: number;
  @ApiProperty({ example: 0, description: 'units added by restocks since (POST /inventory/restock)' }) restocked: number;
  @ApiProperty({ example: 98 }) available: number;
  @ApiProperty({ example: 2, description: 'held for orders' }) reserved: number;
}

export class StockView {
  @ApiProperty({ type: [StockLevelView] }) products: StockLevelView[];
}

export class ReservedItemView {
  @ApiProperty({ example: 'prod-1' }) productId: string;
  @ApiProperty({ example: 2 }) quantity: number;
  @ApiProperty({ example: 2500, description: 'integer cents, as the saga events carry it' }) unitPriceCents: number;
}

export class ReservationView {
  @ApiProperty({ format: 'uuid' }) orderId: string;
  @ApiProperty({ enum: ['reserved', 'failed', 'released', 'cancelled'] }) status: ReservationStatus;
  @ApiProperty({ type: [ReservedItemView] }) items: readonly ReservedItemView[];
  @ApiProperty({ type: 'string', nullable: true }) reason: string | null;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class RestockView {
  @ApiProperty({ format: 'uuid' }) restockId: string;
  @ApiProperty({ example: 'prod-1' }) productId: string;
  @ApiProperty({ example: 20 }) quantity: number;
  @ApiProperty({ format: 'date-time' }) restockedAt: string;
  @ApiProperty({ type: StockLevelView, description: "the product's stock as it is now (after the restock)" }) level: StockLevelView;
}
