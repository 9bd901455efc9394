import type { ActivityItem, PageOf } from "@compliance/contract";
import { invalidField, notFound } from "../errors.ts";
import type { ActivityFilter, Page, Store } from "../store/store.ts";

/** The longest window one question may cover: a year keeps the scans bounded. */
export const ACTIVITY_MAX_WINDOW_MS = 366 * 86_400_000;

/** What happened within a window: on one host, or fleet-wide. */
export class ActivityService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number,
  ) {}

  /** A host's lifetimes within the window; 404 when there is no such host. */
  async ofHost(
    hostId: number,
    filter: Omit<ActivityFilter, "hostId" | "to"> & { to?: number | undefined },
    page: Page,
  ): Promise<PageOf<ActivityItem>> {
    if (!(await this.store.getHost(hostId))) throw notFound(`host ${hostId}`);
    return this.ofFleet({ ...filter, hostId }, page);
  }

  /** Lifetimes within the window over the fleet (or the host `hostId`). */
  ofFleet(
    filter: Omit<ActivityFilter, "to"> & { to?: number | undefined },
    page: Page,
  ): Promise<PageOf<ActivityItem>> {
    const to = filter.to ?? this.now();
    if (to < filter.from) throw invalidField("querystring/to", "must not be before from");
    if (to - filter.from > ACTIVITY_MAX_WINDOW_MS) {
      throw invalidField("querystring/from", "the window may cover at most 366 days");
    }
    return this.store.activity({ ...filter, to }, page);
  }
}
