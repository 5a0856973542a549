import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { InventoryService } from './inventory.service.js';

@Controller('inventory')
export class InventoryController {
  constructor(private readonly inventory: InventoryService) {}

  @Get()
  async list() {
    return { products: await this.inventory.stock() };
  }

  @Get('reservations/:orderId')
  reservation(@Param('orderId', new ParseUUIDPipe()) orderId: string) {
    return this.inventory.reservation(orderId);
  }
}
