import { Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { SagaParticipant, UnitOfWork } from '#messaging';
import { InventoryServiceConfig, parseInitialStock } from '../inventory-service.config.js';
import {
  inventoryDecider,
  type InventoryContext,
  type InventoryInput,
  type InventoryOutput,
  type InventoryState,
  type Reservation,
  type StockLevel,
} from './inventory.domain.js';
import { InventoryRepository } from './inventory.repository.js';

/** The inventory service's saga participant, and the queries of its HTTP API. */
@Injectable()
export class InventoryService
  extends SagaParticipant<InventoryState, InventoryInput['type'], InventoryOutput, InventoryContext>
  implements OnModuleInit
{
  constructor(
    unitOfWork: UnitOfWork,
    private readonly inventory: InventoryRepository,
    private readonly config: InventoryServiceConfig,
  ) {
    super(inventoryDecider, unitOfWork);
  }

  /** Puts the initial stock on the shelf at the first start; later starts keep what the database holds. */
  onModuleInit(): void {
    this.inventory.addInitialStock(parseInitialStock(this.config.INITIAL_STOCK));
  }

  // ------------------------------------------------------------ the participant

  context(): InventoryContext {
    return { now: new Date(), warehouse: { failureRate: this.config.INVENTORY_FAILURE_RATE, simulationSeed: this.config.SIMULATION_SEED } };
  }

  load(orderId: string): InventoryState {
    return {
      reservation: this.inventory.findReservation(orderId),
      stock: new Map(this.inventory.stock().map((level) => [level.productId, level])),
    };
  }

  save(state: InventoryState, before: InventoryState): void {
    if (state.reservation && state.reservation !== before.reservation) this.inventory.saveReservation(state.reservation);
    for (const [productId, level] of state.stock) {
      if (level !== before.stock.get(productId)) this.inventory.saveStockLevel(level);
    }
  }

  // ------------------------------------------------------------ the HTTP API

  stock(): StockLevel[] {
    return this.inventory.stock();
  }

  reservation(orderId: string): Reservation {
    const reservation = this.inventory.findReservation(orderId);
    if (!reservation) throw new NotFoundException(`no reservation for order ${orderId}`);
    return reservation;
  }
}
