import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiUuidLookup } from '#service';
import { ReservationView, StockView } from './inventory.view.js';
import { InventoryService } from './inventory.service.js';

@ApiTags('inventory')
@Controller('inventory')
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Get()
  @ApiOperation({ summary: 'The shelf: each product with its stock, available and reserved.' })
  @ApiOkResponse({ type: StockView })
  async list(): Promise<StockView> {
    return { products: await this.inventory.stock() };
  }

  @Get('reservations/:orderId')
  @ApiOperation({ summary: 'What the inventory decided for an order: reserved, failed, released or cancelled.' })
  @ApiOkResponse({ type: ReservationView })
  @ApiUuidLookup('orderId', 'order id', 'No reservation for this order (yet).')
  async reservation(@Param('orderId', new ParseUUIDPipe()) orderId: string): Promise<ReservationView> {
    return this.inventory.reservation(orderId);
  }
}
