import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ErrorView } from '#service';
import { PaymentView, paymentView } from './payment.view.js';
import { PaymentsService } from './payments.service.js';

@ApiTags('payments')
@Controller('payments')
export class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Get(':orderId')
  @ApiOperation({ summary: "An order's payment: charged, failed, or refunded." })
  @ApiOkResponse({ type: PaymentView })
  @ApiBadRequestResponse({ type: ErrorView, description: 'The order id is not a UUID.' })
  @ApiParam({ name: 'orderId', format: 'uuid' })
  @ApiNotFoundResponse({ type: ErrorView, description: 'No payment for this order (yet).' })
  async get(@Param('orderId', new ParseUUIDPipe()) orderId: string): Promise<PaymentView> {
    return paymentView(await this.payments.get(orderId));
  }
}
