import { BadRequestException, Body, Controller, Get, Headers, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import type { Response } from 'express';
import { CreateOrderDto } from './dto/create-order.dto.js';
import { ListOrdersQuery } from './dto/list-orders.query.js';
import { orderDetail, orderSummary } from './dto/order.view.js';
import { OrdersService } from './orders.service.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
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
  async list(@Query() query: ListOrdersQuery) {
    const { orders, total } = await this.orders.list(query.status, query.limit, query.offset);
    return { items: orders.map(orderSummary), total, limit: query.limit, offset: query.offset };
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const { order, history } = await this.orders.get(id);
    return orderDetail(order, history);
  }
}
