import { runService } from '#service';
import { analyticsService } from './analytics-service.definition.js';

await runService(analyticsService);
