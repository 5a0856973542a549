// Pure building blocks of the services' domain code: the participant shape, money, the simulated failures.
export * from './decider.js';
export * from './money.js';
export * from './simulation.js';
