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
  async onModuleInit(): Promise<void> {
    await this.inventory.addInitialStock(parseInitialStock(this.config.INITIAL_STOCK));
  }

  // ------------------------------------------------------------ the participant

  context(): InventoryContext {
    return { now: new Date(), warehouse: { failureRate: this.config.INVENTORY_FAILURE_RATE, simulationSeed: this.config.SIMULATION_SEED } };
  }

  async load(orderId: string): Promise<InventoryState> {
    const reservation = await this.inventory.findReservation(orderId);
    const stock = await this.inventory.stock();
    return { reservation, stock: new Map(stock.map((level) => [level.productId, level])) };
  }

  async save(state: InventoryState, before: InventoryState): Promise<void> {
    if (state.reservation && state.reservation !== before.reservation) await this.inventory.saveReservation(state.reservation);
    for (const [productId, level] of state.stock) {
      if (level !== before.stock.get(productId)) await this.inventory.saveStockLevel(level);
    }
  }

  // ------------------------------------------------------------ the HTTP API

  stock(): Promise<StockLevel[]> {
    return this.inventory.stock();
  }

  async reservation(orderId: string): Promise<Reservation> {
    const reservation = await this.inventory.findReservation(orderId);
    if (!reservation) throw new NotFoundException(`no reservation for order ${orderId}`);
    return reservation;
  }
}
