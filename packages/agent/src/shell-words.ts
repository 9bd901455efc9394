/**
 * Just enough of the POSIX shell's word splitting to find the commands inside a script
 * (`sh -c "…"`) and where each word sits in it, so a word can be replaced in place and the
 * rest of the script kept as written. Expansions are not performed: `$VAR` stays as it is.
 */

/** One word of a script: its value once quotes are removed, and where it is written. */
export interface ShellWord {
  readonly value: string;
  readonly start: number;
  /** Just past its last character. */
  readonly end: number;
  /** The quote it starts with, which a replacement keeps. */
  readonly quote: "'" | '"' | "";
}

/** Characters that end a command (`;`, `&&`, `|`, a subshell, a new line). */
const COMMAND_END = new Set([";", "&", "|", "(", ")", "`", "\n", "\r"]);
const BLANK = new Set([" ", "\t"]);

class WordReader {
  readonly commands: ShellWord[][] = [];
  private command: ShellWord[] = [];
  private value = "";
  private start = -1;
  private quote: ShellWord["quote"] = "";
  private readonly script: string;

  constructor(script: string) {
    this.script = script;
  }

  read(): ShellWord[][] {
    const text = this.script;
    let i = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (BLANK.has(c)) {
        this.endWord(i);
        i++;
      } else if (COMMAND_END.has(c) || (c === "$" && text[i + 1] === "(")) {
        this.endWord(i);
        this.endCommand();
        i += c === "$" ? 2 : 1;
      } else if (c === "#" && this.start < 0) {
        const line = text.indexOf("\n", i);
        i = line < 0 ? text.length : line;
      } else {
        i = this.wordPart(i);
      }
    }
    this.endWord(text.length);
    this.endCommand();
    return this.commands;
  }

  /** Reads one piece of a word from `i` (a quoted string, an escape, a character). */
  private wordPart(i: number): number {
    const text = this.script;
    const c = text[i]!;
    if (this.start < 0) {
      this.start = i;
      this.quote = c === "'" || c === '"' ? c : "";
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const end = close < 0 ? text.length : close;
      this.value += text.slice(i + 1, end);
      return end + 1;
    }
    if (c === '"') return this.doubleQuoted(i + 1);
    if (c === "\\") {
      if (text[i + 1] !== "\n") this.value += text[i + 1] ?? "";
      return i + 2;
    }
    this.value += c;
    return i + 1;
  }

  private doubleQuoted(from: number): number {
    const text = this.script;
    let i = from;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === "\\" && i + 1 < text.length && '"\\$`\n'.includes(text[i + 1]!)) {
        if (text[i + 1] !== "\n") this.value += text[i + 1];
        i += 2;
      } else {
        this.value += text[i];
        i++;
      }
    }
    return i + 1;
  }

  private endWord(at: number): void {
    if (this.start < 0) return;
    this.command.push({ value: this.value, start: this.start, end: at, quote: this.quote });
    this.value = "";
    this.start = -1;
    this.quote = "";
  }

  private endCommand(): void {
    if (this.command.length > 0) this.commands.push(this.command);
    this.command = [];
  }
}

/** The simple commands of a script, each as its words. */
export function shellCommands(script: string): ShellWord[][] {
  return new WordReader(script).read();
}

/** `value` written as a word quoted like `quote` (unquoted when it was). */
export function shellQuoted(value: string, quote: ShellWord["quote"]): string {
  if (quote === "'") return `'${value.replaceAll("'", `'\\''`)}'`;
  if (quote === '"') return `"${value.replace(/["\\$`]/g, "\\$&")}"`;
  return value;
}
