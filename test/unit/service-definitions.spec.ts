import { readdirSync } from 'node:fs';
import { SAGA_MODES } from '#contracts';
import { reactsTo } from '#service';
import { join, resolve } from 'node:path';
import { analyticsService } from '../../apps/analytics-service/src/analytics-service.definition.js';
import { inventoryService } from '../../apps/inventory-service/src/inventory-service.definition.js';
import { orderService } from '../../apps/order-service/src/order-service.definition.js';
import { paymentService } from '../../apps/payment-service/src/payment-service.definition.js';

const DEFINITIONS = [orderService, paymentService, inventoryService, analyticsService];
const APPS = resolve(import.meta.dirname, '..', '..', 'apps');

/** The scripts and the e2e tests find services by their folder; the definitions must agree with it. */
describe('service definitions', () => {
  it('define one service per folder of apps/, named after it', () => {
    expect(DEFINITIONS.map((definition) => definition.name).sort()).toEqual(readdirSync(APPS).sort());
    for (const { name } of DEFINITIONS) expect(readdirSync(join(APPS, name, 'src'))).toContain(`${name}.definition.ts`);
  });

  it('give every service a port of its own, as the original project does (3002-3005)', () => {
    expect(DEFINITIONS.map((definition) => [definition.name, definition.port])).toEqual([
      ['order-service', 3002],
      ['payment-service', 3003],
      ['inventory-service', 3004],
      ['analytics-service', 3005],
    ]);
  });

  it('declare each event type they react to once', () => {
    for (const definition of DEFINITIONS) {
      for (const mode of SAGA_MODES) {
        const types = reactsTo(definition, mode);
        expect(new Set(types).size).toBe(types.length);
      }
    }
  });
});
