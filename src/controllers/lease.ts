// The element's forecaster lease as a Lit ReactiveController: when the element is connected it
// starts acquiring one (after the first update, so that properties set right after connecting,
// by a framework or `append(el); el.horizon = 8`, are in the model's options), and when it is
// disconnected it gives it back after the current task, so that moving the element (remove, then
// insert) keeps the model. What a lease is made from (a saved record, a rebuild's history) is the
// element's business: `acquire` is its.

import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Lease } from '../pool';

export interface LeaseHooks {
  /** Acquires the forecaster (sets `lease` on this controller when it has one). */
  acquire(): Promise<void>;
  /** The lease was given back (the element was removed, and not put back in that task). */
  released(): void;
}

export class LeaseController implements ReactiveController {
  /** The forecaster, once acquired. */
  lease: Lease | null = null;
  /** The acquisition under way, if any. */
  leasing: Promise<void> | null = null;
  private releaseTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost & { readonly isConnected: boolean },
    private readonly hooks: LeaseHooks,
  ) {
    host.addController(this);
  }

  /** Removed, and the lease not yet given back (it is kept if the element comes back now). */
  get releasing(): boolean {
    return this.releaseTimer !== null;
  }

  hostConnected(): void {
    if (this.releaseTimer !== null) {
      clearTimeout(this.releaseTimer); // moved within the page: keep the model
      this.releaseTimer = null;
    }
    if (!this.lease && !this.leasing) {
      this.leasing = this.host.updateComplete.then(() => this.hooks.acquire());
    }
  }

  hostDisconnected(): void {
    this.releaseTimer = setTimeout(() => {
      this.releaseTimer = null;
      const lease = this.lease;
      this.lease = null;
      this.leasing = null;
      this.hooks.released();
      void lease?.release();
    }, 0);
  }
}
