/**
 * How stack events look: at a terminal, a live view (a spinner with `n/m resources` under the
 * events, statuses coloured); elsewhere, one plain line per event for logs and CI. The events
 * come from src/aws/stack-events.ts; nothing here calls AWS. Every text from AWS (reasons, ids,
 * output values) is shown with its control characters escaped, before our colours go on.
 */
import * as p from '@clack/prompts';
import kleur from 'kleur';
import type { StackEvent } from '@aws-sdk/client-cloudformation';
import type { StackOutput } from '../aws/stack-outputs.js';
import { showable, showableLine } from '../text/terminal-text.js';

export type Tone = 'good' | 'busy' | 'bad';

/** Green complete, yellow in progress, red failed or rolling back. */
export function toneOf(status: string): Tone {
  if (/FAILED|ROLLBACK/.test(status)) return 'bad';
  if (status.endsWith('_IN_PROGRESS')) return 'busy';
  return 'good';
}

const PAINT: Record<Tone, (text: string) => string> = { good: kleur.green, busy: kleur.yellow, bad: kleur.red };

function clock(date: Date | undefined): string {
  const d = date ?? new Date();
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** `12:03:04  CREATE_COMPLETE  AWS::SQS::Queue  InputQueue  reason`, coloured if asked. */
export function formatEvent(event: StackEvent, colour = false): string {
  const status = showable(event.ResourceStatus ?? '?');
  const shown = colour ? PAINT[toneOf(status)](status.padEnd(28)) : status.padEnd(28);
  const reason =
    event.ResourceStatusReason && event.ResourceStatusReason !== 'User Initiated' ? `  ${showableLine(event.ResourceStatusReason)}` : '';
  const parts = [
    clock(event.Timestamp),
    shown,
    showable(event.ResourceType ?? '').padEnd(34),
    `${showable(event.LogicalResourceId ?? '')}${colour ? kleur.dim(reason) : reason}`,
  ];
  return parts.join('  ').trimEnd();
}

/** How far a stack change has got: resources done out of those seen, the root stack left out. */
export class ResourceProgress {
  private readonly latest = new Map<string, string>();

  constructor(private readonly stackName: string) {}

  add(event: StackEvent): void {
    if (event.ResourceType === 'AWS::CloudFormation::Stack' && event.LogicalResourceId === this.stackName) return;
    this.latest.set(`${event.StackId}/${event.LogicalResourceId}`, event.ResourceStatus ?? '');
  }

  get total(): number {
    return this.latest.size;
  }

  get done(): number {
    return [...this.latest.values()].filter((status) => !status.endsWith('_IN_PROGRESS')).length;
  }

  summary(): string {
    return `${this.done}/${this.total} resources`;
  }
}

export interface StackView {
  event(event: StackEvent): void;
  /** Ends the view; the message stays on screen. */
  end(message: string, tone: Tone): void;
}

export const isInteractive = () => Boolean(process.stdout.isTTY) && process.env.CI !== 'true';

/** A view of one stack change: `title` is what is happening, e.g. `Deploying orders`. */
export function stackView(title: string, stackName: string): StackView {
  const progress = new ResourceProgress(stackName);
  if (!isInteractive()) {
    process.stderr.write(`${title}\n`);
    return {
      event(event) {
        progress.add(event);
        process.stderr.write(`${formatEvent(event)}\n`);
      },
      end(message) {
        process.stderr.write(`${showableLine(message)}\n`);
      },
    };
  }
  const spin = p.spinner({ indicator: 'timer' });
  spin.start(title);
  return {
    event(event) {
      progress.add(event);
      // The event stays above; the spinner moves down under it.
      spin.clear();
      process.stdout.write(`${formatEvent(event, true)}\n`);
      spin.start(`${title} · ${progress.summary()}`);
    },
    // The end message may quote the stack's last status, as AWS gave it.
    end(message, tone) {
      if (tone === 'bad') spin.error(showableLine(message));
      else spin.stop(showableLine(message));
    },
  };
}

/** The outputs as a table: key, value, description, each on one line whatever it holds. */
export function formatOutputs(stackOutputs: readonly StackOutput[], colour = false): string {
  if (stackOutputs.length === 0) return 'The stack has no outputs.\n';
  const outputs = stackOutputs.map((o) => ({
    key: showable(o.key),
    value: showableLine(o.value),
    description: o.description === undefined ? undefined : showableLine(o.description),
  }));
  const keyWidth = Math.max(3, ...outputs.map((o) => o.key.length));
  const valueWidth = Math.max(5, ...outputs.map((o) => o.value.length));
  const head = (text: string) => (colour ? kleur.dim(text) : text);
  const lines = [`${head('key'.padEnd(keyWidth))}  ${head('value'.padEnd(valueWidth))}  ${head('description')}`.trimEnd()];
  for (const o of outputs) {
    const key = colour ? kleur.bold(o.key.padEnd(keyWidth)) : o.key.padEnd(keyWidth);
    lines.push(`${key}  ${o.value.padEnd(valueWidth)}  ${o.description ?? ''}`.trimEnd());
  }
  return `${lines.join('\n')}\n`;
}
