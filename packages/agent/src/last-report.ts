import type { Report } from "@compliance/contract";
import { makeDelta } from "@compliance/contract/delta";
import { reportDigest } from "@compliance/contract/digest";
import type { StateDir } from "./state.ts";

/**
 * The last report the API acknowledged, kept in the state directory so the next report
 * (of this run or of the next one) can go as a delta of it: what changed, a fraction of
 * the whole. The API answers 409 when it does not hold that base or the delta does not
 * fit it, and the report then goes whole.
 */
export class LastReport {
  /** undefined: not read yet; null: there is none. */
  private base: Report | null | undefined;

  constructor(private readonly state: StateDir) {}

  private load(): Report | null {
    if (this.base !== undefined) return this.base;
    const text = this.state.readLastReport();
    try {
      this.base = text === undefined ? null : (JSON.parse(text) as Report);
    } catch {
      // Half a file from a disk that filled up: the next report goes whole.
      this.base = null;
    }
    return this.base;
  }

  /**
   * `text` (a whole report, as it would be sent) as a delta of the last acknowledged
   * report, when there is one of the same host and the delta is the smaller.
   */
  deltaOf(text: string): string | undefined {
    const base = this.load();
    if (!base) return undefined;
    let next: Report;
    try {
      next = JSON.parse(text) as Report;
    } catch {
      return undefined;
    }
    if (base.host?.identifier !== next.host?.identifier || base.report_id === next.report_id) {
      return undefined;
    }
    const delta = JSON.stringify(makeDelta(base, next, base.report_id, reportDigest(next)));
    return delta.length < text.length ? delta : undefined;
  }

  /** The API acknowledged `text`: the next report is a delta of it. */
  acknowledged(text: string): void {
    this.base = JSON.parse(text) as Report;
    this.state.saveLastReport(text);
  }

  /** No base any more (the agent enrolled again): the next report goes whole. */
  forget(): void {
    this.base = null;
    this.state.deleteLastReport();
  }
}
