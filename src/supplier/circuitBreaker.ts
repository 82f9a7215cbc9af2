import { setMaxListeners } from 'node:events';
import type { CircuitState } from './port.js';
import type { Problem } from './answers.js';
import { say } from '../messages/index.js';

/**
 * Every wait of a client (back-offs, the throttle gate) listens to its one signal, so at
 * --concurrency 16 more than Node's default of 10 listeners is the normal case, not a
 * leak: each wait removes its listener when it ends.
 */
export function sharedController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

/**
 * Opens after `threshold` calls in a row ended without an answer (see `CircuitState` in
 * port.ts for what counts); stays open until reset. One instance per client, so every
 * operation in flight sees it open at once.
 */
export class CircuitBreaker {
  private failuresInRow = 0;
  private lastFailure: Problem | null = null;
  private openedAt: number | null = null;

  /** `onOpen`: what waits to retry stops waiting. */
  constructor(
    private readonly threshold: number,
    private readonly onOpen: () => void,
  ) {}

  get isOpen(): boolean {
    return this.openedAt !== null;
  }

  /** The supplier answered: it is there. */
  answered(): void {
    if (!this.isOpen) this.failuresInRow = 0;
  }

  /** A call got no answer. */
  failed(problem: Problem): void {
    if (this.isOpen || this.threshold === 0) return;
    this.failuresInRow += 1;
    this.lastFailure = problem;
    if (this.failuresInRow >= this.threshold) {
      this.openedAt = Date.now();
      this.onOpen();
    }
  }

  reset(): void {
    this.failuresInRow = 0;
    this.lastFailure = null;
    this.openedAt = null;
  }

  describe(): Problem {
    return say('supplier.circuitOpen', { failures: this.failuresInRow, last: this.lastFailure ?? say('supplier.noFailure') });
  }

  state(): CircuitState {
    return {
      open: this.isOpen,
      failuresInRow: this.failuresInRow,
      threshold: this.threshold,
      lastFailure: this.lastFailure?.en ?? null,
      openedAt: this.openedAt === null ? null : new Date(this.openedAt).toISOString(),
    };
  }
}
