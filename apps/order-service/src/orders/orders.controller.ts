import { BadRequestException, Body, Controller, Get, Headers, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiUuidLookup, ErrorView } from '#service';
import { CreateOrderDto } from './dto/create-order.dto.js';
import { ListOrdersQuery } from './dto/list-orders.query.js';
import { orderDetail, OrderDetailView, OrderPageView, orderSummary, OrderView } from './dto/order.view.js';
import { OrdersService } from './orders.service.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@ApiTags('orders')
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @ApiOperation({ summary: 'Place an order: it is pending, and its saga starts (OrderCreated).' })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1-255 visible ASCII characters. A retry with the same key returns the same order (header Idempotent-Replayed: true).',
  })
  @ApiCreatedResponse({ type: OrderView })
  @ApiBadRequestResponse({
    type: ErrorView,
    description: 'Malformed JSON, a missing, unknown or invalid field, or a total that disagrees with the items.',
  })
  @ApiUnprocessableEntityResponse({ type: ErrorView, description: 'The Idempotency-Key was used before for a different request.' })
  async create(
    @Body() request: CreateOrderDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) response: Response,
  ) {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new BadRequestException('Idempotency-Key must be 1-255 visible ASCII characters');
    }
    const { order, replayed } = await this.orders.place(request, idempotencyKey);
    if (replayed) response.setHeader('Idempotent-Replayed', 'true');
    return orderSummary(order);
  }

  @Get()
  @ApiOperation({ summary: 'List orders, newest first.' })
  @ApiOkResponse({ type: OrderPageView })
  @ApiBadRequestResponse({ type: ErrorView })
  async list(@Query() query: ListOrdersQuery) {
    const { orders, total } = await this.orders.list(query.status, query.limit, query.offset);
    return { items: orders.map(orderSummary), total, limit: query.limit, offset: query.offset };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One order: its status, why it was cancelled, and every saga step with its time.' })
  @ApiOkResponse({ type: OrderDetailView })
  @ApiUuidLookup('id', 'id', 'No order with this id.')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const { order, history, traceId } = await this.orders.get(id);
    return orderDetail(order, history, traceId);
  }
}
