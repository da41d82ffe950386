/**
 * The shell examples of a Markdown file, as a reader would type them: every command of every
 * ```sh / ```bash / ```console block, with `\` continuations joined, trailing comments dropped
 * and `a && b` taken as two commands (each must hold on its own).
 */

export interface ShellExample {
  /** Where it is written, e.g. `README.md` or `generated README (sqs → dynamodb)`. */
  source: string;
  /** The heading the block is under, without its `#`s. */
  heading: string;
  /** 1-based line of the block's opening fence: the commands of one block run one after another. */
  block: number;
  /** 1-based line of the Markdown file where the command starts. */
  line: number;
  command: string;
}

const SHELL_FENCE = /^```(sh|bash|console)\s*$/;

/** `text` without a trailing `# comment`: a `#` at the start or after a blank, outside quotes. */
export function withoutComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"') i++;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '\\') i++;
    else if (char === '#' && (i === 0 || /\s/.test(text[i - 1]!))) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

/** `text` split at `&&` outside quotes. */
export function andList(text: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"') i++;
    } else if (char === "'" || char === '"') quote = char;
    else if (char === '\\') i++;
    else if (char === '&' && text[i + 1] === '&') {
      parts.push(text.slice(start, i).trim());
      start = i + 2;
      i++;
    }
  }
  parts.push(text.slice(start).trim());
  return parts.filter(Boolean);
}

export function shellExamples(markdown: string, source: string): ShellExample[] {
  const examples: ShellExample[] = [];
  const lines = markdown.split('\n');
  let fence: string | undefined;
  let block = 0;
  let pending: { line: number; text: string } | undefined;
  let heading = '';
  let otherFence = false;
  for (const [index, raw] of lines.entries()) {
    if (otherFence) {
      if (raw.startsWith('```')) otherFence = false;
      continue;
    }
    if (!fence) {
      if (/^#{1,6} /.test(raw)) heading = raw.replace(/^#+ /, '').trim();
      fence = SHELL_FENCE.exec(raw)?.[1];
      block = index + 1;
      // A json block, or a plain one of output, holds no commands (and its `#` lines are no headings).
      if (!fence && raw.startsWith('```')) otherFence = true;
      continue;
    }
    if (raw.startsWith('```')) {
      if (pending) throw new Error(`${source}:${pending.line}: a continued line runs into the end of its block`);
      fence = undefined;
      continue;
    }
    let text = raw;
    if (fence === 'console' && !pending) {
      // In a console block only `$ ` lines are typed; the rest is what they print.
      if (!text.startsWith('$ ')) continue;
      text = text.slice(2);
    }
    const code = pending ? withoutComment(text) : withoutComment(text.trim());
    if (code.endsWith('\\')) {
      pending = { line: pending?.line ?? index + 1, text: `${pending ? `${pending.text} ` : ''}${code.slice(0, -1).trim()}` };
      continue;
    }
    const whole = `${pending ? `${pending.text} ` : ''}${code.trim()}`.trim();
    const line = pending?.line ?? index + 1;
    pending = undefined;
    for (const command of andList(whole)) examples.push({ source, heading, block, line, command });
  }
  if (fence) throw new Error(`${source}: a shell block is never closed`);
  return examples;
}
