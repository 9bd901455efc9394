/**
 * Kernel parameters the CIS Linux benchmarks (and the DISA STIGs) check: routing and
 * redirects, source routing, reverse-path filtering, ICMP handling, SYN cookies, router
 * advertisements, address-space randomisation, kernel pointer and log exposure, ptrace,
 * BPF and perf limits, core dumps of setuid programs, and link/FIFO protections.
 */
export const CIS_SYSCTL_NAMES: readonly string[] = [
  "net.ipv4.ip_forward",
  "net.ipv6.conf.all.forwarding",
  "net.ipv4.conf.all.send_redirects",
  "net.ipv4.conf.default.send_redirects",
  "net.ipv4.conf.all.accept_redirects",
  "net.ipv4.conf.default.accept_redirects",
  "net.ipv6.conf.all.accept_redirects",
  "net.ipv6.conf.default.accept_redirects",
  "net.ipv4.conf.all.secure_redirects",
  "net.ipv4.conf.default.secure_redirects",
  "net.ipv4.conf.all.accept_source_route",
  "net.ipv4.conf.default.accept_source_route",
  "net.ipv6.conf.all.accept_source_route",
  "net.ipv6.conf.default.accept_source_route",
  "net.ipv4.conf.all.rp_filter",
  "net.ipv4.conf.default.rp_filter",
  "net.ipv4.conf.all.log_martians",
  "net.ipv4.conf.default.log_martians",
  "net.ipv4.icmp_echo_ignore_broadcasts",
  "net.ipv4.icmp_ignore_bogus_error_responses",
  "net.ipv4.tcp_syncookies",
  "net.ipv6.conf.all.accept_ra",
  "net.ipv6.conf.default.accept_ra",
  "net.ipv6.conf.all.disable_ipv6",
  "net.ipv6.conf.default.disable_ipv6",
  "net.core.bpf_jit_harden",
  "kernel.randomize_va_space",
  "kernel.dmesg_restrict",
  "kernel.kptr_restrict",
  "kernel.yama.ptrace_scope",
  "kernel.unprivileged_bpf_disabled",
  "kernel.perf_event_paranoid",
  "kernel.kexec_load_disabled",
  "kernel.sysrq",
  "fs.suid_dumpable",
  "fs.protected_hardlinks",
  "fs.protected_symlinks",
  "fs.protected_fifos",
  "fs.protected_regular",
];

/** Where a dotted parameter name lives under /proc/sys. */
export function sysctlPath(procDir: string, name: string): string {
  return `${procDir}/sys/${name.replaceAll(".", "/")}`;
}

/**
 * A parameter's value as `sysctl -n` shows it, on one line: the file's text without its
 * trailing newline, tabs between several numbers (ip_local_port_range) as single spaces.
 */
export function sysctlValue(text: string): string {
  return text.trim().replace(/\s+/g, " ");
}
