import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ErrorView } from '#service';
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
  @ApiBadRequestResponse({ type: ErrorView, description: 'The order id is not a UUID.' })
  @ApiParam({ name: 'orderId', format: 'uuid' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'No reservation for this order (yet).' })
  async reservation(@Param('orderId', new ParseUUIDPipe()) orderId: string): Promise<ReservationView> {
    return this.inventory.reservation(orderId);
  }
}
