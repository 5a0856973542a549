import { randomUUID } from 'node:crypto';
import { ConflictException, Injectable, Logger, NotFoundException, type OnModuleInit } from '@nestjs/common';
import { SagaParticipant, UnitOfWork } from '#messaging';
import { InventoryServiceConfig, parseInitialStock } from '../inventory-service.config.js';
import {
  inventoryDecider,
  type InventoryContext,
  type InventoryInput,
  type InventoryOutput,
  type InventoryState,
  restocked,
  type Reservation,
  type Restock,
  type StockLevel,
} from './inventory.domain.js';
import { InventoryRepository } from './inventory.repository.js';

/** The inventory service's saga participant, and the queries of its HTTP API. */
@Injectable()
export class InventoryService
  extends SagaParticipant<InventoryState, InventoryInput['type'], InventoryOutput, InventoryContext>
  implements OnModuleInit
{
  private readonly logger = new Logger(InventoryService.name);

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

  /**
   * An operator puts `quantity` more units of a product on the shelf, recorded in the
   * restock ledger with the new level, in one transaction. The same `restockId` again
   * changes nothing and returns the first restock (a retried request restocks once).
   */
  async restock(request: { productId: string; quantity: number; restockId?: string }): Promise<{ restock: Restock; level: StockLevel }> {
    const { productId, quantity, restockId = randomUUID() } = request;
    const result = await this.unitOfWork.commit(async () => {
      const earlier = await this.inventory.findRestock(restockId);
      if (earlier) {
        if (earlier.productId !== productId || earlier.quantity !== quantity) {
          throw new ConflictException(
            `restock ${restockId} was ${earlier.quantity} of ${earlier.productId}, not ${quantity} of ${productId}`,
          );
        }
        return { restock: earlier, level: (await this.inventory.findStockLevel(productId))!, replayed: true };
      }
      const level = await this.inventory.findStockLevel(productId);
      if (!level) throw new NotFoundException(`no product ${productId} on the shelf (GET /inventory lists them)`);
      const restock: Restock = { restockId, productId, quantity, restockedAt: new Date().toISOString() };
      const after = restocked(level, quantity);
      await this.inventory.saveRestock(restock);
      await this.inventory.saveStockLevel(after);
      return { restock, level: after, replayed: false };
    });
    if (!result.replayed)
      this.logger.log(`Restocked ${productId}: +${quantity}, ${result.level.available} available (restock ${restockId})`);
    return { restock: result.restock, level: result.level };
  }

  async reservation(orderId: string): Promise<Reservation> {
    const reservation = await this.inventory.findReservation(orderId);
    if (!reservation) throw new NotFoundException(`no reservation for order ${orderId}`);
    return reservation;
  }
}
