/**
 * Bounds of the report, apart from the schemas so agents can respect them before sending
 * without loading the schema library.
 */
export const LIMITS = {
  processes: 20_000,
  sessions: 10_000,
  ipAddresses: 256,
  errors: 64,
  name: 255,
  cmdline: 4_096,
  terminal: 64,
  ip: 64,
  message: 1_024,
  packages: 50_000,
  listening: 10_000,
  accounts: 20_000,
  services: 10_000,
  /** Keys of each settings map (sysctl, sshd). */
  settingKeys: 5_000,
  settingValue: 4_096,
  files: 2_000,
  path: 4_096,
  /** Largest accepted request body, in bytes (20,000 processes with 4 KiB command lines do not fit; real hosts do). */
  bodyBytes: 32 * 1024 * 1024,
} as const;
