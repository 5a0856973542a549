import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { fromCents } from '#domain';
import { PaymentsService } from './payments.service.js';

@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Get(':orderId')
  async get(@Param('orderId', new ParseUUIDPipe()) orderId: string) {
    const { amountCents, ...payment } = await this.payments.get(orderId);
    return { ...payment, amount: fromCents(amountCents) };
  }
}
