import type { DaemonEvent } from '../model/index.js';

export type EventListener = (event: DaemonEvent) => void;

/**
 * The daemon's event bus: audit entries and state changes, fanned out to the SSE stream,
 * metrics and tests. A listener that throws is dropped from nothing and breaks nothing: its
 * error is reported through `onError` and the other listeners still run.
 */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  private readonly onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.onError = onError;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  get size(): number {
    return this.listeners.size;
  }

  emit(event: DaemonEvent): void {
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
