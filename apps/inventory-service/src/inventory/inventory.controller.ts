import { Body, Controller, Get, Param, ParseUUIDPipe, Post, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiUuidLookup, ErrorView } from '#service';
import { AdminGuard } from './admin.guard.js';
import { ReservationView, RestockView, StockView } from './inventory.view.js';
import { InventoryService } from './inventory.service.js';
import { RestockDto } from './restock.dto.js';

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

  @Post('restock')
  @UseGuards(AdminGuard)
  @ApiBearerAuth()
  @ApiOperation({
    summary:
      'An operator puts more units of a product on the shelf, recorded in the restock ledger. Only from the same host, or with Authorization: Bearer <ADMIN_TOKEN> when that is set.',
  })
  @ApiCreatedResponse({ type: RestockView })
  @ApiBadRequestResponse({ type: ErrorView, description: 'A missing, unknown or invalid field.' })
  @ApiUnauthorizedResponse({ type: ErrorView, description: 'ADMIN_TOKEN is set and the request does not carry it.' })
  @ApiForbiddenResponse({ type: ErrorView, description: 'ADMIN_TOKEN is not set and the client is not on the same host.' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'No such product on the shelf.' })
  @ApiConflictResponse({ type: ErrorView, description: 'The restockId was used before for another product or quantity.' })
  async restock(@Body() request: RestockDto): Promise<RestockView> {
    const { restock, level } = await this.inventory.restock(request);
    return { ...restock, level };
  }

  @Get('reservations/:orderId')
  @ApiOperation({ summary: 'What the inventory decided for an order: reserved, failed, released or cancelled.' })
  @ApiOkResponse({ type: ReservationView })
  @ApiUuidLookup('orderId', 'order id', 'No reservation for this order (yet).')
  async reservation(@Param('orderId', new ParseUUIDPipe()) orderId: string): Promise<ReservationView> {
    return this.inventory.reservation(orderId);
  }
}
