import { Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { UnitOfWork } from '#common';
import { InventoryServiceConfig, parseInitialStock } from '../inventory-service.config.js';
import { decide, evolve, stockChanges, type InventorySagaEvent, type Reservation, type StockLevel, type Warehouse } from './inventory.domain.js';
import { InventoryRepository } from './inventory.repository.js';

@Injectable()
export class InventoryService implements OnModuleInit {
  private readonly warehouse: Warehouse;

  constructor(
    private readonly inventory: InventoryRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly config: InventoryServiceConfig,
  ) {
    this.warehouse = { failureRate: config.INVENTORY_FAILURE_RATE, seed: config.SIMULATION_SEED };
  }

  onModuleInit(): void {
    this.inventory.seed(parseInitialStock(this.config.INITIAL_STOCK));
  }

  /** Reserves a paid order's items, or releases a cancelled order's; once per event. */
  react(event: InventorySagaEvent): void {
    this.unitOfWork.applyOnce(event, (emit) => {
      const before = this.inventory.findReservation(event.correlationId);
      const stock = new Map(this.inventory.stock().map((level) => [level.productId, level]));
      let reservation = before;
      for (const outcome of decide(before, stock, event, this.warehouse, new Date())) {
        reservation = evolve(reservation, outcome);
        this.inventory.adjust(stockChanges(outcome));
        emit(outcome);
      }
      if (event.type === 'OrderCancelled') reservation = evolve(reservation, event);
      if (reservation !== before) this.inventory.saveReservation(reservation!);
    });
  }

  stock(): StockLevel[] {
    return this.inventory.stock();
  }

  reservation(orderId: string): Reservation {
    const reservation = this.inventory.findReservation(orderId);
    if (!reservation) throw new NotFoundException(`no reservation for order ${orderId}`);
    return reservation;
  }
}
