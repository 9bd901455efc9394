/**
 * The kernel's auxiliary vector (/proc/self/auxv) tells a process its page size and the
 * clock tick rate of /proc times, which is what `getconf PAGESIZE` and `getconf CLK_TCK`
 * print, without spawning anything.
 */

const AT_NULL = 0;
const AT_PAGESZ = 6;
const AT_CLKTCK = 17;

export interface KernelUnits {
  /** Clock ticks per second of the times in /proc/<pid>/stat. */
  clockTicks: number;
  pageSize: number;
}

/** What nearly every Linux system uses; taken when the auxiliary vector cannot be read. */
export const DEFAULT_KERNEL_UNITS: KernelUnits = Object.freeze({ clockTicks: 100, pageSize: 4096 });

/**
 * Parses an auxiliary vector: pairs of machine words (type, value) ending with AT_NULL.
 * Values missing from it keep their defaults.
 */
export function parseAuxv(bytes: Uint8Array, wordBytes: 4 | 8, littleEndian: boolean): KernelUnits {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = (offset: number): number =>
    wordBytes === 8
      ? Number(view.getBigUint64(offset, littleEndian))
      : view.getUint32(offset, littleEndian);
  const units = { ...DEFAULT_KERNEL_UNITS };
  for (let offset = 0; offset + 2 * wordBytes <= bytes.byteLength; offset += 2 * wordBytes) {
    const type = word(offset);
    if (type === AT_NULL) break;
    const value = word(offset + wordBytes);
    if (type === AT_PAGESZ && value > 0) units.pageSize = value;
    if (type === AT_CLKTCK && value > 0) units.clockTicks = value;
  }
  return units;
}

const ARCHES_64 = new Set(["x64", "arm64", "ppc64", "s390x", "riscv64", "loong64", "mips64el"]);

/** Word size of the running process, which is the layout of its own auxv. */
export function wordBytesOf(arch: string): 4 | 8 {
  return ARCHES_64.has(arch) ? 8 : 4;
}
