import { Injectable, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { UnitOfWork, type EventReactor, type Participant } from '#messaging';
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
  implements
    Participant<InventoryState, InventoryInput, InventoryOutput, InventoryContext>,
    EventReactor<InventoryInput['type']>,
    OnModuleInit
{
  readonly decider = inventoryDecider;

  constructor(
    private readonly inventory: InventoryRepository,
    private readonly unitOfWork: UnitOfWork,
    private readonly config: InventoryServiceConfig,
  ) {}

  onModuleInit(): void {
    this.inventory.addInitialStock(parseInitialStock(this.config.INITIAL_STOCK));
  }

  // ------------------------------------------------------------ the participant

  /** Reserves a paid order's items, or releases a cancelled order's; once per event. */
  react(event: InventoryInput): void {
    this.unitOfWork.react(this, event);
  }

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
