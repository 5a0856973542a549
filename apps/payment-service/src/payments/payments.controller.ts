import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiUuidLookup } from '#service';
import { PaymentView, paymentView } from './payment.view.js';
import { PaymentsService } from './payments.service.js';

@ApiTags('payments')
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Get(':orderId')
  @ApiOperation({ summary: "An order's payment: charged, failed, or refunded." })
  @ApiOkResponse({ type: PaymentView })
  @ApiUuidLookup('orderId', 'order id', 'No payment for this order (yet).')
  async get(@Param('orderId', new ParseUUIDPipe()) orderId: string): Promise<PaymentView> {
    return paymentView(await this.payments.get(orderId));
  }
}
